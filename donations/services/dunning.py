"""Dunning: keep monthly gifts alive when a card fails or is about to expire.

- ``instalment_failed``: an instalment failed at the gateway. The donor gets
  one email per failed instalment with a one-click update-card link; when the
  gateway reports its final try (no next attempt), the gift turns past due
  and stays so (it never ends by itself) until the card is updated.
- ``card_expiry_warnings_send``: daily, a warning from 30 days before the month
  a saved card that pays a live monthly gift expires in, once per card and expiry.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from donations.gateways.events import GatewayEvent
from donations.models import Donation, DonationEvent, PaymentCard, RecurringGift
from donations.money import format_money
from donations.portal.tokens import card_update_token
from donations.services.cards import LIVE
from donations.services.events import donation_event_record
from donations.services.mail import site_url, supporter_email_send

EXPIRY_WARNING_DAYS = 30


def card_update_link(supporter) -> str:
    """The one-click link in dunning emails: opens the update-card page (signed token, no sign-in needed)."""
    with translation.override(supporter.language or "en"):
        return site_url(reverse("portal:card_token", args=[card_update_token(supporter)]))


def instalment_failed(*, donation: Donation, event: GatewayEvent) -> None:
    """Called under the gift's lock when the gateway reports a failed instalment."""
    from donations.tasks import payment_failed_notice_send

    recurring = RecurringGift.objects.select_for_update().get(pk=donation.recurring_gift_id)
    if event.detail.get("final") and recurring.status != RecurringGift.Status.CANCELED:
        if recurring.past_due_since is None:
            recurring.past_due_since = event.occurred_at
        recurring.status = RecurringGift.Status.PAST_DUE
        recurring.save(update_fields=["status", "past_due_since", "updated_at"])
        donation_event_record(
            key=f"past-due:{donation.invoice_id}",
            kind=DonationEvent.Kind.PAST_DUE,
            occurred_at=event.occurred_at,
            donation=donation,
            detail={"attempts": event.detail.get("attempt_count")},
        )
    payment_failed_notice_send.delay_on_commit(donation.pk)


def payment_failed_notice_send(*, donation_id: int) -> bool:
    """Email the donor once about a failed instalment, with the update-card link."""
    with transaction.atomic():
        donation = (
            Donation.objects.select_for_update(of=("self",))
            .select_related("supporter", "recurring_gift")
            .get(pk=donation_id)
        )
        key = f"payment-failed-notice:{donation.reference}"
        if donation.paid or donation.recurring_gift_id is None or DonationEvent.objects.filter(key=key).exists():
            return False
        supporter = donation.supporter
        recurring = donation.recurring_gift
        supporter_email_send(
            supporter=supporter,
            template="payment_failed",
            context={
                "amount": format_money(donation.amount_minor, donation.currency, supporter.language),
                "designation": recurring.designation_label,
                "update_url": card_update_link(supporter),
                "final": recurring.past_due_since is not None,
            },
        )
        donation_event_record(
            key=key, kind=DonationEvent.Kind.PAYMENT_FAILED_NOTICE, occurred_at=timezone.now(), donation=donation
        )
    return True


def card_expires_on(card: PaymentCard) -> date | None:
    """The last day a card works: the end of its expiry month."""
    if not (card.exp_month and card.exp_year):
        return None
    return date(card.exp_year, card.exp_month, calendar.monthrange(card.exp_year, card.exp_month)[1])


def cards_expiring(*, today: date) -> list[int]:
    """Cards that pay a live monthly gift, expire soon and were not warned about for this expiry.

    The warning goes from 30 days before the expiry month begins (so a card that
    expires next month is due), until the card's last day.
    """
    due = []
    cards = PaymentCard.objects.filter(recurring_gifts__status__in=LIVE).distinct()
    for card in cards:
        ends = card_expires_on(card)
        if ends is None or card.expiry_warned_for == card.expiry_key:
            continue
        if ends.replace(day=1) - timedelta(days=EXPIRY_WARNING_DAYS) <= today <= ends:
            due.append(card.pk)
    return due


def card_expiry_warning_send(*, card_id: int) -> bool:
    """Warn the card's owner once for this card and expiry; False if already warned."""
    with transaction.atomic():
        card = PaymentCard.objects.select_for_update(of=("self",)).select_related("supporter").get(pk=card_id)
        if not card.expiry_key or card.expiry_warned_for == card.expiry_key:
            return False
        gifts = list(card.recurring_gifts.filter(status__in=LIVE))
        if not gifts:
            return False
        supporter = card.supporter
        supporter_email_send(
            supporter=supporter,
            template="card_expiring",
            context={
                "card": card,
                "expires": f"{card.exp_month:02d}/{card.exp_year}",
                "gift_count": len(gifts),
                "update_url": card_update_link(supporter),
            },
        )
        card.expiry_warned_for = card.expiry_key
        card.save(update_fields=["expiry_warned_for"])
        at = timezone.now()
        for gift in gifts:
            donation_event_record(
                key=f"card-expiry-warning:{card.pk}:{card.expiry_key}:{gift.pk}",
                kind=DonationEvent.Kind.CARD_EXPIRY_WARNING,
                occurred_at=at,
                recurring_gift=gift,
                currency=gift.currency,
                detail={"card_expiry_warning": card.expiry_key},
            )
    return True


def card_expiry_warnings_send(*, today: date | None = None) -> int:
    """Daily: send every due card-expiry warning. Running it twice sends nothing twice."""
    today = today or timezone.localdate()
    return sum(card_expiry_warning_send(card_id=pk) for pk in cards_expiring(today=today))
