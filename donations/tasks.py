"""Celery tasks for gifts: take ids, reload, call a service; safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import Task, shared_task
from django.db import transaction
from django.utils import timezone

from donations.models import Donation, RecurringGift, WebhookEvent
from donations.services.events import UnknownReference
from donations.services.notifications import donation_confirmation_send as confirmation_send
from donations.services.notifications import tribute_notice_send as tribute_send
from donations.services.webhooks import webhook_event_apply, webhook_event_give_up

logger = logging.getLogger(__name__)
MAX_WEBHOOK_RETRIES = 10


@shared_task(bind=True, name="donations.tasks.webhook_event_process", max_retries=MAX_WEBHOOK_RETRIES)
def webhook_event_process(self: Task, event_pk: int) -> str | None:
    """Apply a stored gateway event. An event about a payment we do not know yet is retried later."""
    try:
        return webhook_event_apply(pk=event_pk)
    except UnknownReference as exc:
        if self.request.is_eager:
            # No worker to retry later: the periodic sweep (or an operator) picks it up again.
            logger.warning("webhook event %s waits for its payment: %s", event_pk, exc)
            return None
        if self.request.retries >= self.max_retries:
            webhook_event_give_up(pk=event_pk, error=str(exc))
            return None
        raise self.retry(exc=exc, countdown=min(5 * 2**self.request.retries, 3600)) from exc


@shared_task(name="donations.tasks.webhook_events_sweep")
def webhook_events_sweep() -> int:
    """Queue again any stored event that is still unprocessed after five minutes (a lost task, a crash)."""
    stale = timezone.now() - timedelta(minutes=5)
    pks = list(
        WebhookEvent.objects.filter(
            status__in=[WebhookEvent.Status.RECEIVED, WebhookEvent.Status.RETRYING], received_at__lt=stale
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in pks:
        webhook_event_process.delay(pk)
    return len(pks)


@shared_task(name="donations.tasks.donation_confirmation_send", autoretry_for=(OSError,), retry_backoff=True)
def donation_confirmation_send(donation_pk: int) -> bool:
    return confirmation_send(donation_id=donation_pk)


@shared_task(name="donations.tasks.tribute_notice_send", autoretry_for=(OSError,), retry_backoff=True)
def tribute_notice_send(donation_pk: int) -> bool:
    return tribute_send(donation_id=donation_pk)


@shared_task(name="donations.tasks.sandbox_dispute_open")
def sandbox_dispute_open(donation_pk: int) -> None:
    """The sandbox's card 4000 0000 0000 0259: the bank disputes the payment some time after it succeeded."""
    from donations.gateways.sandbox import SandboxGateway

    donation = Donation.objects.get(pk=donation_pk)
    with transaction.atomic():
        SandboxGateway().open_dispute(donation)


@shared_task(name="donations.tasks.sandbox_renewals")
def sandbox_renewals() -> int:
    """Charge the sandbox's monthly gifts that are due (Stripe does this itself for real subscriptions)."""
    from dateutil.relativedelta import relativedelta

    from donations.gateways.sandbox import SandboxGateway

    today = timezone.localdate()
    due = RecurringGift.objects.filter(
        gateway="sandbox", status=RecurringGift.Status.ACTIVE, next_charge_on__lte=today
    ).values_list("pk", flat=True)
    charged = 0
    for pk in due:
        with transaction.atomic():
            recurring = RecurringGift.objects.select_for_update().get(pk=pk)
            if recurring.next_charge_on is None or recurring.next_charge_on > today:
                continue
            SandboxGateway().renew(recurring, period=recurring.next_charge_on.strftime("%Y-%m"))
            recurring.next_charge_on = recurring.next_charge_on + relativedelta(months=1)
            recurring.save(update_fields=["next_charge_on", "updated_at"])
            charged += 1
    return charged
