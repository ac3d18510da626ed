"""Applying gateway events to gifts: the one place a gift's state changes after payment starts.

Each event updates facts that only grow (latest time of each kind of event,
the largest refunded total, disputes closed beat disputes opened), under a
row lock, then the state is derived from the facts. Applying the same event
twice, or a set of events in any order, ends in the same state. Each event is
recorded once as a DonationEvent, keyed by its source.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import transaction

from donations.gateways.events import GatewayEvent, Kind
from donations.ledger.posting import donation_fee_post, post_donation_event
from donations.models import Donation, DonationEvent, Frequency, RecurringGift
from donations.velocity import velocity_failure_record, velocity_keys

logger = logging.getLogger(__name__)
POSTED_KINDS = {
    DonationEvent.Kind.SUCCEEDED,
    DonationEvent.Kind.OFFLINE_RECORDED,
    DonationEvent.Kind.REFUNDED,
    DonationEvent.Kind.DISPUTE_OPENED,
    DonationEvent.Kind.DISPUTE_WON,
    DonationEvent.Kind.DISPUTE_LOST,
    DonationEvent.Kind.PAYOUT_PAID,
}


class UnknownReference(Exception):
    """The event names a payment we do not know yet (it may arrive before our own write commits)."""


SUBSCRIPTION_STATUS = {
    "active": RecurringGift.Status.ACTIVE,
    "trialing": RecurringGift.Status.ACTIVE,
    "past_due": RecurringGift.Status.PAST_DUE,
    "unpaid": RecurringGift.Status.PAST_DUE,
    "paused": RecurringGift.Status.PAUSED,
    "incomplete": RecurringGift.Status.INCOMPLETE,
    "incomplete_expired": RecurringGift.Status.CANCELED,
    "canceled": RecurringGift.Status.CANCELED,
}


def _later(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new > current else current


def _earlier(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new < current else current


def donation_event_record(
    *,
    key: str,
    kind: str,
    occurred_at: datetime,
    donation: Donation | None = None,
    recurring_gift: RecurringGift | None = None,
    amount_minor: int | None = None,
    currency: str = "",
    fee_minor: int | None = None,
    actor=None,
    detail: dict | None = None,
) -> DonationEvent | None:
    """Record an event once by its key; None if it was already recorded.

    Times are kept to the second, like the gateways' own event times, so a
    timeline sorted by time and then by arrival reads in the order things happened.
    """
    if DonationEvent.objects.filter(key=key).exists():
        return None
    event = DonationEvent.objects.create(
        key=key,
        kind=kind,
        occurred_at=occurred_at.replace(microsecond=0),
        donation=donation,
        recurring_gift=recurring_gift or (donation.recurring_gift if donation else None),
        amount_minor=amount_minor,
        currency=currency or (donation.currency if donation else ""),
        fee_minor=fee_minor,
        actor=actor,
        detail=detail or {},
    )
    if kind in POSTED_KINDS:
        post_donation_event(event)  # the books move in the same transaction as the event
    return event


def _locked_donation(event: GatewayEvent) -> Donation:
    donations = Donation.objects.select_for_update()
    donation = None
    if event.payment_intent:
        donation = donations.filter(payment_intent_id=event.payment_intent).first()
    if donation is None and event.charge:
        donation = donations.filter(charge_id=event.charge, gateway=event.gateway).first()
    if donation is None and event.invoice:
        donation = donations.filter(invoice_id=event.invoice).first()
    if donation is None:
        raise UnknownReference(f"no gift for {event.payment_intent or event.charge or event.invoice}")
    return donation


def _locked_invoice_donation(event: GatewayEvent) -> Donation:
    """The gift for a subscription's invoice; a renewal's gift is made when its first event arrives."""
    donation = Donation.objects.select_for_update().filter(invoice_id=event.invoice).first()
    if donation is not None:
        return donation
    recurring = RecurringGift.objects.select_for_update().filter(subscription_id=event.subscription).first()
    if recurring is None:
        raise UnknownReference(f"no monthly gift for subscription {event.subscription}")
    donation = Donation.objects.select_for_update().filter(invoice_id=event.invoice).first()
    if donation is None:
        donation = Donation.objects.create(
            supporter=recurring.supporter,
            recurring_gift=recurring,
            amount_minor=event.amount_minor or recurring.amount_minor,
            currency=event.currency or recurring.currency,
            fee_covered_minor=recurring.fee_covered_minor if event.amount_minor == recurring.amount_minor else 0,
            frequency=Frequency.MONTHLY,
            gateway=recurring.gateway,
            designation_page=recurring.designation_page,
            fund=recurring.fund,
            invoice_id=event.invoice,
            payment_intent_id=event.payment_intent,
            charge_id=event.charge or "",
            customer_id=recurring.customer_id,
            language=recurring.language,
            surface=Donation.Surface.RECURRING,
        )
        donation_event_record(
            key=f"created:{donation.reference}",
            kind=DonationEvent.Kind.CREATED,
            occurred_at=event.occurred_at,
            donation=donation,
            amount_minor=donation.amount_minor,
            detail={"invoice": event.invoice},
        )
    return donation


def _apply_payment(donation: Donation, event: GatewayEvent) -> str | None:
    """Update the gift's facts from one event; returns the DonationEvent kind to record, if any."""
    at = event.occurred_at
    kinds = DonationEvent.Kind
    if event.charge and not donation.charge_id:
        donation.charge_id = event.charge
    if event.kind == Kind.PAYMENT_REQUIRES_ACTION:
        donation.requires_action_at = _later(donation.requires_action_at, at)
        return kinds.REQUIRES_ACTION
    if event.kind == Kind.PAYMENT_PROCESSING:
        donation.processing_at = _later(donation.processing_at, at)
        return kinds.PROCESSING
    if event.kind in (Kind.PAYMENT_SUCCEEDED, Kind.INVOICE_PAID):
        donation.succeeded_at = _earlier(donation.succeeded_at, at)
        if event.amount_minor is not None and event.amount_minor != donation.amount_minor:
            logger.warning(
                "gift %s paid %s, expected %s", donation.reference, event.amount_minor, donation.amount_minor
            )
        return kinds.SUCCEEDED
    if event.kind in (Kind.PAYMENT_FAILED, Kind.INVOICE_FAILED):
        if donation.failed_at is None or at >= donation.failed_at:
            donation.failure_code = event.failure_code or donation.failure_code
            donation.failure_message = event.failure_message or donation.failure_message
        donation.failed_at = _later(donation.failed_at, at)
        return kinds.FAILED
    if event.kind == Kind.CHARGE_DETAILS:
        donation.card_brand = event.card_brand or donation.card_brand
        donation.card_last4 = event.card_last4 or donation.card_last4
        donation.payment_method_type = event.payment_method_type or donation.payment_method_type
        if event.fee_minor is not None:
            donation.processor_fee_minor = event.fee_minor
        return None
    if event.kind == Kind.DISPUTE_OPENED:
        if donation.dispute_status not in (Donation.DisputeStatus.WON, Donation.DisputeStatus.LOST):
            donation.dispute_status = Donation.DisputeStatus.OPEN
        return kinds.DISPUTE_OPENED
    if event.kind == Kind.DISPUTE_CLOSED:
        lost = event.status == "lost"
        donation.dispute_status = Donation.DisputeStatus.LOST if lost else Donation.DisputeStatus.WON
        return kinds.DISPUTE_LOST if lost else kinds.DISPUTE_WON
    raise ValueError(f"not a payment event: {event.kind}")


def _apply_refund_total(donation: Donation, event: GatewayEvent) -> None:
    """Refund totals only grow; the increase, if any, is the amount refunded now."""
    total = min(event.amount_minor or 0, donation.amount_minor)
    increase = total - donation.amount_refunded_minor
    if increase <= 0:
        return
    donation.amount_refunded_minor = total
    donation_event_record(
        key=event.key,
        kind=DonationEvent.Kind.REFUNDED,
        occurred_at=event.occurred_at,
        donation=donation,
        amount_minor=increase,
        detail={"refunded_total": total},
    )


@transaction.atomic
def event_apply(event: GatewayEvent) -> Donation | RecurringGift | DonationEvent | None:
    """Apply one normalised gateway event. Safe to call again with the same event."""
    if event.kind in (Kind.SUBSCRIPTION_STATUS, Kind.SUBSCRIPTION_DELETED):
        return _apply_subscription(event)
    if event.kind == Kind.PAYOUT_PAID:
        return donation_event_record(
            key=event.key,
            kind=DonationEvent.Kind.PAYOUT_PAID,
            occurred_at=event.occurred_at,
            amount_minor=event.amount_minor,
            currency=event.currency or "",
            detail={**event.detail, "gateway": event.gateway},
        )
    if event.kind in (Kind.INVOICE_PAID, Kind.INVOICE_FAILED):
        donation = _locked_invoice_donation(event)
        if event.payment_intent and not donation.payment_intent_id:
            donation.payment_intent_id = event.payment_intent
    else:
        donation = _locked_donation(event)
    if DonationEvent.objects.filter(key=event.key).exists():
        return donation  # delivered before: its facts are in already

    was_paid = donation.paid
    if event.kind == Kind.REFUND_TOTAL:
        _apply_refund_total(donation, event)
    else:
        kind = _apply_payment(donation, event)
        # A payment is reported more than once (payment_intent.succeeded, invoice.paid and
        # invoice.payment_succeeded): it is recorded, and will be posted, once.
        if kind == DonationEvent.Kind.SUCCEEDED and was_paid:
            kind = None
        if kind is not None:
            amount = event.amount_minor if kind.startswith("dispute") else None
            if kind == DonationEvent.Kind.SUCCEEDED:
                amount = donation.amount_minor
            donation_event_record(
                key=event.key,
                kind=kind,
                occurred_at=event.occurred_at,
                donation=donation,
                amount_minor=amount,
                fee_minor=donation.processor_fee_minor if kind == DonationEvent.Kind.SUCCEEDED else None,
                detail={"failure_code": event.failure_code} if event.failure_code else {},
            )
    donation.status = donation.derive_status()
    donation.save()
    if event.kind == Kind.CHARGE_DETAILS:
        donation_fee_post(donation)  # the fee may be known only after the payment was posted
        if donation.recurring_gift_id and event.detail.get("payment_method"):
            from donations.services.cards import payment_card_record

            payment_card_record(donation=donation, detail=event.detail, brand=event.card_brand, last4=event.card_last4)
    if event.kind == Kind.INVOICE_FAILED and donation.recurring_gift_id and not donation.paid:
        from donations.services.dunning import instalment_failed

        instalment_failed(donation=donation, event=event)
    if donation.paid and not was_paid:
        _on_paid(donation)
    if event.kind in (Kind.PAYMENT_FAILED, Kind.INVOICE_FAILED) and not donation.paid:
        velocity_failure_record(velocity_keys(ip_hashed=donation.velocity_ip_key, email=donation.supporter.email))
    return donation


def _on_paid(donation: Donation) -> None:
    from donations.tasks import donation_confirmation_send, tribute_notice_send

    donation_confirmation_send.delay_on_commit(donation.pk)
    if donation.tribute_notify_email:
        tribute_notice_send.delay_on_commit(donation.pk)


def _apply_subscription(event: GatewayEvent) -> RecurringGift:
    recurring = RecurringGift.objects.select_for_update().filter(subscription_id=event.subscription).first()
    if recurring is None:
        raise UnknownReference(f"no monthly gift for subscription {event.subscription}")
    kinds = DonationEvent.Kind
    if event.kind == Kind.SUBSCRIPTION_DELETED:
        recurring.canceled_at = _earlier(recurring.canceled_at, event.occurred_at)
        kind = kinds.SUBSCRIPTION_CANCELED
    else:
        if recurring.gateway_status_at is None or event.occurred_at >= recurring.gateway_status_at:
            recurring.gateway_status = event.status
            recurring.gateway_status_at = event.occurred_at
        kind = kinds.SUBSCRIPTION_UPDATED
    latest = recurring.gateway_status_at == event.occurred_at and recurring.gateway_status == event.status
    if recurring.canceled_at is not None:
        recurring.status = RecurringGift.Status.CANCELED
    else:
        recurring.status = SUBSCRIPTION_STATUS.get(recurring.gateway_status, recurring.status)
    if latest and recurring.status == RecurringGift.Status.PAUSED and event.detail.get("resumes_at"):
        recurring.paused_until = datetime.fromtimestamp(int(event.detail["resumes_at"]), tz=UTC).date()
    elif latest and recurring.status == RecurringGift.Status.ACTIVE:
        recurring.paused_until = None
        recurring.past_due_since = None
    recurring.save()
    donation_event_record(
        key=event.key,
        kind=kind,
        occurred_at=event.occurred_at,
        recurring_gift=recurring,
        currency=recurring.currency,
        detail={"status": event.status},
    )
    return recurring
