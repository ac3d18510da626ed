"""Celery tasks for gifts: take ids, reload, call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from donations.models import Donation, RecurringGift
from donations.services.notifications import donation_confirmation_send as confirmation_send
from donations.services.notifications import tribute_notice_send as tribute_send
from donations.services.webhooks import webhook_event_apply, webhook_events_due
from donations.services.webhooks import webhook_events_drain as drain


@shared_task(name="donations.tasks.webhook_event_process")
def webhook_event_process(event_pk: int) -> str:
    """Apply one stored gateway event (the embedded default runs this at once for each event)."""
    return webhook_event_apply(pk=event_pk)


@shared_task(name="donations.tasks.webhook_events_drain")
def webhook_events_drain() -> int:
    """Apply every due gateway event, oldest first; queue another drain if time ran out."""
    applied, more = drain(budget_seconds=30)
    if more:
        webhook_events_drain.delay()
    return applied


@shared_task(name="donations.tasks.webhook_events_sweep")
def webhook_events_sweep() -> bool:
    """Every minute: queue a drain if events wait (retries whose time has come, anything a crash left)."""
    if webhook_events_due(limit=1):
        webhook_events_drain.delay()
        return True
    return False


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


def _sandbox_due(recurring: RecurringGift, today) -> bool:
    """An instalment is due on its day; after a failure, the retry is due RETRY_DAYS later (while tries remain)."""
    from datetime import timedelta

    from donations.gateways.sandbox import RETRY_DAYS

    if recurring.next_charge_on is None or recurring.failed_attempts > len(RETRY_DAYS):
        return False
    return recurring.next_charge_on + timedelta(days=sum(RETRY_DAYS[: recurring.failed_attempts])) <= today


def sandbox_charge(recurring_pk: int, *, force: bool = False, today=None) -> bool | None:
    """Try the sandbox instalment now due (or, with ``force``, the one that failed); None if nothing was due."""
    from dateutil.relativedelta import relativedelta

    from donations.gateways.sandbox import SandboxGateway

    today = today or timezone.localdate()
    with transaction.atomic():
        locked = RecurringGift.objects.select_for_update(of=("self",)).select_related("payment_card")
        recurring = locked.get(pk=recurring_pk)
        if recurring.gateway != "sandbox" or recurring.next_charge_on is None:
            return None
        if force:
            if recurring.failed_attempts == 0:
                return None
        elif not _sandbox_due(recurring, today):
            return None
        paid = SandboxGateway().renew(
            recurring, period=recurring.next_charge_on.strftime("%Y-%m"), attempt=recurring.failed_attempts + 1
        )
        recurring.refresh_from_db()
        if paid:
            recurring.next_charge_on = recurring.next_charge_on + relativedelta(months=1)
            recurring.failed_attempts = 0
        else:
            recurring.failed_attempts += 1
        recurring.save(update_fields=["next_charge_on", "failed_attempts", "updated_at"])
        return paid


@shared_task(name="donations.tasks.sandbox_renewals")
def sandbox_renewals(today: str | None = None) -> int:
    """Charge the sandbox's monthly gifts that are due, and retry failed ones on the sandbox's schedule.

    (Stripe does this itself for real subscriptions.) A paused gift whose pause is over resumes first.
    ``today`` (ISO date) is for trying the schedule out; the beat passes nothing.
    """
    from datetime import date

    from donations.gateways.sandbox import SandboxGateway

    today = date.fromisoformat(today) if today else timezone.localdate()
    resumed = RecurringGift.objects.filter(
        gateway="sandbox", status=RecurringGift.Status.PAUSED, paused_until__lte=today
    ).values_list("pk", flat=True)
    for pk in resumed:
        with transaction.atomic():
            recurring = RecurringGift.objects.select_for_update().get(pk=pk)
            if recurring.status == RecurringGift.Status.PAUSED and recurring.paused_until <= today:
                SandboxGateway()._subscription_updated(recurring, f"resume:{recurring.paused_until}")
                recurring.status, recurring.gateway_status, recurring.paused_until = "active", "active", None
                recurring.gateway_status_at = timezone.now().replace(microsecond=0)
                recurring.save(update_fields=["status", "gateway_status", "gateway_status_at", "paused_until"])
    due = RecurringGift.objects.filter(
        gateway="sandbox",
        status__in=(RecurringGift.Status.ACTIVE, RecurringGift.Status.PAST_DUE),
        next_charge_on__lte=today,
    ).values_list("pk", flat=True)
    return sum(1 for pk in due if sandbox_charge(pk, today=today) is not None)


@shared_task(name="donations.tasks.sandbox_retry_now")
def sandbox_retry_now(recurring_pk: int) -> bool | None:
    """After the card was updated: try the failed instalment again at once, as Stripe does with an open invoice."""
    return sandbox_charge(recurring_pk, force=True)


# -- The portal and dunning ----------------------------------------------------------------------


@shared_task(name="donations.tasks.recurring_change_notify", autoretry_for=(OSError,), retry_backoff=True)
def recurring_change_notify(event_pk: int) -> bool:
    from donations.services.recurring import recurring_change_notify as notify

    return notify(event_id=event_pk)


@shared_task(name="donations.tasks.payment_failed_notice_send", autoretry_for=(OSError,), retry_backoff=True)
def payment_failed_notice_send(donation_pk: int) -> bool:
    from donations.services.dunning import payment_failed_notice_send as send

    return send(donation_id=donation_pk)


@shared_task(name="donations.tasks.card_updated_notify", autoretry_for=(OSError,), retry_backoff=True)
def card_updated_notify(supporter_pk: int, card_pk: int, gift_count: int) -> None:
    from donations.models import PaymentCard
    from donations.services.mail import supporter_email_send

    card = PaymentCard.objects.select_related("supporter").get(pk=card_pk, supporter_id=supporter_pk)
    supporter_email_send(
        supporter=card.supporter, template="card_updated", context={"card": card, "gift_count": gift_count}
    )


@shared_task(name="donations.tasks.card_expiry_warnings_send", acks_late=True)
def card_expiry_warnings_send() -> int:
    """Daily: warn about saved cards that expire within 30 days (once per card and expiry)."""
    from donations.services.dunning import card_expiry_warnings_send as send

    return send()


@shared_task(name="donations.tasks.ledger_checkpoint_publish")
def ledger_checkpoint_publish() -> int | None:
    """Sign and publish the ledger's tree head if the ledger grew since the last checkpoint."""
    from donations.ledger.services import checkpoint_publish

    checkpoint = checkpoint_publish()
    return checkpoint.tree_size if checkpoint else None


@shared_task(name="donations.tasks.sandbox_payouts_pay")
def sandbox_payouts_pay() -> int:
    """Once a day: the sandbox's pretend processor pays its balance in each currency to the bank."""
    from donations.ledger.reconciliation import sandbox_payouts_pay as pay

    return len(pay())


# -- Receipts and annual statements ---------------------------------------------------------------


@shared_task(name="donations.tasks.receipt_deliver", autoretry_for=(OSError,), retry_backoff=True)
def receipt_deliver(receipt_pk: int) -> bool:
    """Email the receipt's current PDF (first issue, or after it was amended or voided) once."""
    from donations.receipts.services import receipt_deliver as deliver

    return deliver(receipt_id=receipt_pk)


@shared_task(name="donations.tasks.statement_batch_run", autoretry_for=(OSError,), retry_backoff=True)
def statement_batch_run(batch_pk: int) -> int:
    """Make and email every donor's annual statement for the batch's year; resumable."""
    from donations.receipts.statements import statement_batch_run as run

    return run(batch_id=batch_pk)


@shared_task(name="donations.tasks.statement_batch_after_year_end")
def statement_batch_after_year_end() -> int | None:
    """Daily: once a fiscal year has ended, start its statements batch (once)."""
    from donations.receipts.statements import statement_batch_for_ended_year

    batch = statement_batch_for_ended_year()
    return batch.pk if batch else None


# -- Insights -------------------------------------------------------------------------------------

from donations.insights.tasks import insights_digest_send, insights_fold  # noqa: E402, F401
