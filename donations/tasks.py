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
