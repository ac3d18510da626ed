"""The card that pays a supporter's monthly gifts: saved from the first payment, replaced in the portal."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from donations.gateways import CardDetails, gateway_for
from donations.models import Donation, DonationEvent, PaymentCard, RecurringGift
from donations.services.events import donation_event_record
from supporters.models import Supporter

# Monthly gifts a card still pays (or will again).
LIVE = (RecurringGift.Status.ACTIVE, RecurringGift.Status.PAST_DUE, RecurringGift.Status.PAUSED)


def _card_upsert(*, supporter: Supporter, gateway: str, details: CardDetails) -> PaymentCard:
    card, created = PaymentCard.objects.get_or_create(
        gateway=gateway,
        payment_method_id=details.payment_method_id,
        defaults={
            "supporter": supporter,
            "brand": details.brand,
            "last4": details.last4,
            "exp_month": details.exp_month,
            "exp_year": details.exp_year,
        },
    )
    if not created and details.exp_month and (card.exp_month, card.exp_year) != (details.exp_month, details.exp_year):
        # The bank sent the gateway a new expiry for the same card (card updater): a new expiry to warn about.
        card.exp_month, card.exp_year = details.exp_month, details.exp_year
        card.save(update_fields=["exp_month", "exp_year"])
    return card


def payment_card_record(*, donation: Donation, detail: dict[str, Any], brand: str, last4: str) -> PaymentCard:
    """The card that paid an instalment of a monthly gift is the gift's card (if it has none yet)."""
    details = CardDetails(
        payment_method_id=detail["payment_method"],
        brand=brand,
        last4=last4,
        exp_month=detail.get("exp_month"),
        exp_year=detail.get("exp_year"),
    )
    card = _card_upsert(supporter=donation.supporter, gateway=donation.gateway, details=details)
    recurring = RecurringGift.objects.select_for_update().get(pk=donation.recurring_gift_id)
    if recurring.payment_card_id is None:
        recurring.payment_card = card
        recurring.save(update_fields=["payment_card", "updated_at"])
    return card


def supporter_live_gifts(supporter: Supporter, *, gateway: str | None = None):
    gifts = RecurringGift.objects.filter(supporter=supporter, status__in=LIVE)
    return gifts.filter(gateway=gateway) if gateway else gifts


def payment_card_replace(
    *, supporter: Supporter, gateway: str, details: CardDetails, request_id: uuid.UUID
) -> list[RecurringGift]:
    """One new card pays every live monthly gift of the supporter through this gateway, at once.

    Idempotent per ``request_id``: a second submission changes nothing. A gift
    that was past due is tried again at once with the new card. The supporter
    gets one confirmation email.
    """
    key = f"card:{request_id}"
    with transaction.atomic():
        Supporter.objects.select_for_update().get(pk=supporter.pk)  # one replacement at a time per supporter
        if DonationEvent.objects.filter(key__startswith=f"{key}:").exists():
            return []
        gifts = list(supporter_live_gifts(supporter, gateway=gateway).select_for_update().order_by("pk"))
        card = _card_upsert(supporter=supporter, gateway=gateway, details=details)
        gw = gateway_for(gateway)
        customer_id = gw.customer_for(supporter)
        gw.subscriptions_card_set(
            gifts,
            customer_id=customer_id,
            payment_method_id=card.payment_method_id,
            idempotency_key=f"card-{request_id}",
        )
        now = timezone.now()
        for gift in gifts:
            old = gift.payment_card
            gift.payment_card = card
            gift.save(update_fields=["payment_card", "updated_at"])
            donation_event_record(
                key=f"{key}:{gift.pk}",
                kind=DonationEvent.Kind.CARD_UPDATED,
                occurred_at=now,
                recurring_gift=gift,
                currency=gift.currency,
                detail={"card": str(card), "replaced": str(old) if old else ""},
            )
        past_due = [gift.pk for gift in gifts if gift.status == RecurringGift.Status.PAST_DUE]
        from donations.tasks import card_updated_notify, sandbox_retry_now

        card_updated_notify.delay_on_commit(supporter.pk, card.pk, len(gifts))
        if gateway == "sandbox":
            for pk in past_due:
                sandbox_retry_now.delay_on_commit(pk)
    return gifts
