"""Monthly gifts changed by their donor in the portal: amount, day, pause, resume, cancel.

Each change goes through the gateway first (Stripe's subscription, or the
sandbox), then our row, under the gift's lock. Each form carries a request
id: the change is recorded as a DonationEvent keyed by it, so a second POST
of the same form changes nothing; a change to the state the gift is already
in changes nothing either. The donor gets a confirmation email, in their
language, after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from donations.gateways import Gateway, GatewayError, SubscriptionChange, gateway_for
from donations.models import DonationEvent, RecurringGift
from donations.money import check_limits
from donations.services.events import donation_event_record

Status = RecurringGift.Status
PAUSE_MONTHS = (1, 2, 3)


class ChangeRefused(Exception):
    """The change does not apply to the gift as it is now (for example, resuming a canceled gift)."""


def _apply(result: SubscriptionChange, recurring: RecurringGift) -> None:
    now = timezone.now()
    recurring.gateway_status = result.status
    recurring.gateway_status_at = now.replace(microsecond=0)
    if result.next_charge_on is not None:
        recurring.next_charge_on = result.next_charge_on


def portal_event_key(request_id: uuid.UUID) -> str:
    """The key of the DonationEvent a portal change records (one per form, so a double POST changes nothing)."""
    return f"portal:{request_id}"


def _change(
    *,
    recurring: RecurringGift,
    request_id: uuid.UUID,
    kind: str,
    allowed: tuple[str, ...],
    change: Callable[[Gateway, RecurringGift, str], dict[str, Any] | None],
) -> bool:
    key = portal_event_key(request_id)
    with transaction.atomic():
        locked = RecurringGift.objects.select_for_update().get(pk=recurring.pk)
        if DonationEvent.objects.filter(key=key).exists():
            return False  # this very form was submitted before
        if locked.status not in allowed:
            raise ChangeRefused(locked.status)
        detail = change(gateway_for(locked.gateway), locked, f"portal-{request_id}")
        if detail is None:
            return False  # already as asked
        locked.save()
        event = donation_event_record(
            key=key,
            kind=kind,
            occurred_at=timezone.now(),
            recurring_gift=locked,
            amount_minor=None,
            currency=locked.currency,
            detail=detail,
        )
        from donations.tasks import recurring_change_notify

        recurring_change_notify.delay_on_commit(event.pk)
    recurring.refresh_from_db()
    return True


def recurring_change_amount(*, recurring: RecurringGift, amount_minor: int, request_id: uuid.UUID) -> bool:
    """Charge ``amount_minor`` a month from the next charge on (AmountError outside the limits)."""
    check_limits(amount_minor, recurring.currency)

    def change(gateway: Gateway, gift: RecurringGift, key: str) -> dict[str, Any] | None:
        if gift.amount_minor == amount_minor:
            return None
        result = gateway.subscription_change_amount(gift, amount_minor=amount_minor, idempotency_key=key)
        before = gift.amount_minor
        _apply(result, gift)
        gift.amount_minor = amount_minor
        gift.fee_covered_minor = 0  # the fee covered was worked out for the old amount
        gift.price_id = result.price_id or gift.price_id
        return {"before": before, "after": amount_minor}

    return _change(
        recurring=recurring,
        request_id=request_id,
        kind=DonationEvent.Kind.AMOUNT_CHANGED,
        allowed=(Status.ACTIVE, Status.PAUSED),
        change=change,
    )


def recurring_change_day(*, recurring: RecurringGift, day: int, request_id: uuid.UUID) -> bool:
    """Charge on ``day`` of the month (1-28) from the next charge on."""
    if not 1 <= day <= 28:
        raise ChangeRefused("day")

    def change(gateway: Gateway, gift: RecurringGift, key: str) -> dict[str, Any] | None:
        if gift.day_of_month == day:
            return None
        result = gateway.subscription_change_day(gift, day=day, idempotency_key=key)
        before = gift.day_of_month
        _apply(result, gift)
        gift.day_of_month = day
        return {"before": before, "after": day, "next_charge_on": gift.next_charge_on.isoformat()
                if gift.next_charge_on else None}  # fmt: skip

    return _change(
        recurring=recurring,
        request_id=request_id,
        kind=DonationEvent.Kind.DAY_CHANGED,
        allowed=(Status.ACTIVE,),
        change=change,
    )


def pause_resumes_on(recurring: RecurringGift, months: int, *, today: date | None = None) -> date:
    """The first charge after skipping ``months`` instalments."""
    today = today or timezone.localdate()
    scheduled = recurring.next_charge_on
    if scheduled is None or scheduled <= today:
        scheduled = today + relativedelta(months=1)
    return scheduled + relativedelta(months=months)


def recurring_pause(*, recurring: RecurringGift, months: int, request_id: uuid.UUID) -> bool:
    """Skip the next 1 to 3 instalments; the gift resumes by itself afterwards."""
    if months not in PAUSE_MONTHS:
        raise ChangeRefused("months")

    def change(gateway: Gateway, gift: RecurringGift, key: str) -> dict[str, Any] | None:
        if gift.status == Status.PAUSED:
            return None
        resumes_on = pause_resumes_on(gift, months)
        result = gateway.subscription_pause(gift, resumes_on=resumes_on, idempotency_key=key)
        _apply(result, gift)
        gift.status = Status.PAUSED
        gift.paused_until = resumes_on
        gift.next_charge_on = resumes_on
        return {"months": months, "resumes_on": resumes_on.isoformat()}

    return _change(
        recurring=recurring,
        request_id=request_id,
        kind=DonationEvent.Kind.PAUSED,
        allowed=(Status.ACTIVE, Status.PAUSED),
        change=change,
    )


def recurring_resume(*, recurring: RecurringGift, request_id: uuid.UUID) -> bool:
    """Collect again now a pause is over early."""

    def change(gateway: Gateway, gift: RecurringGift, key: str) -> dict[str, Any] | None:
        if gift.status == Status.ACTIVE:
            return None
        result = gateway.subscription_resume(gift, idempotency_key=key)
        _apply(result, gift)
        gift.status = Status.ACTIVE
        gift.paused_until = None
        return {"next_charge_on": gift.next_charge_on.isoformat() if gift.next_charge_on else None}

    return _change(
        recurring=recurring,
        request_id=request_id,
        kind=DonationEvent.Kind.RESUMED,
        allowed=(Status.ACTIVE, Status.PAUSED),
        change=change,
    )


def recurring_cancel(*, recurring: RecurringGift, request_id: uuid.UUID, reason: str = "") -> bool:
    """End the monthly gift now. Never refused while the gift is live."""

    def change(gateway: Gateway, gift: RecurringGift, key: str) -> dict[str, Any] | None:
        if gift.status == Status.CANCELED:
            return None
        result = gateway.subscription_cancel(gift, idempotency_key=key)
        _apply(result, gift)
        gift.status = Status.CANCELED
        gift.canceled_at = gift.canceled_at or timezone.now()
        gift.paused_until = None
        return {"reason": reason[:200]}

    return _change(
        recurring=recurring,
        request_id=request_id,
        kind=DonationEvent.Kind.CANCELED_BY_DONOR,
        allowed=(Status.ACTIVE, Status.PAUSED, Status.PAST_DUE, Status.INCOMPLETE, Status.CANCELED),
        change=change,
    )


def recurring_change_notify(*, event_id: int) -> bool:
    """Confirm a portal change to the donor by email (once per change)."""
    from donations.money import format_money
    from donations.services.mail import supporter_email_send

    with transaction.atomic():
        events = DonationEvent.objects.select_for_update(of=("self",)).select_related("recurring_gift__supporter")
        event = events.get(pk=event_id)
        if event.detail.get("emailed"):
            return False
        gift = event.recurring_gift
        supporter = gift.supporter
        language = supporter.language or "en"
        supporter_email_send(
            supporter=supporter,
            template="gift_changed",
            context={
                "kind": event.kind,
                "gift": gift,
                "amount": format_money(gift.amount_minor, gift.currency, language),
                "designation": gift.designation_label,
                "next_charge_on": gift.next_charge_on,
                "paused_until": gift.paused_until,
                "day": gift.day_of_month,
            },
        )
        event.detail = {**event.detail, "emailed": True}
        event.save(update_fields=["detail"])
    return True


__all__ = [
    "PAUSE_MONTHS",
    "ChangeRefused",
    "GatewayError",
    "pause_resumes_on",
    "recurring_cancel",
    "recurring_change_amount",
    "recurring_change_day",
    "recurring_change_notify",
    "recurring_pause",
    "recurring_resume",
]
