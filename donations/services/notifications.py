"""Emails about gifts, in the donor's language. Each is sent at most once, under a row lock."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from wagtail.models import Site

from cms.models import OrganisationSettings
from donations.models import Donation, DonationEvent
from donations.money import format_money
from donations.services.events import donation_event_record


def _organisation() -> OrganisationSettings | None:
    site = Site.objects.filter(is_default_site=True).first()
    return OrganisationSettings.for_site(site) if site else None


def _send(*, template: str, to: str, context: dict[str, Any], language: str) -> None:
    with translation.override(language):
        subject = " ".join(render_to_string(f"donations/email/{template}_subject.txt", context).split())
        text = render_to_string(f"donations/email/{template}.txt", context)
        html = render_to_string(f"donations/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


def _context(donation: Donation) -> dict[str, Any]:
    with translation.override(donation.language):
        return {
            "donation": donation,
            "organisation": _organisation(),
            "amount": format_money(donation.amount_minor, donation.currency, donation.language),
            "fee_covered": format_money(donation.fee_covered_minor, donation.currency, donation.language)
            if donation.fee_covered_minor
            else "",
            "designation": donation.designation_label,
            "test_mode": donation.gateway == "sandbox",
            "direction": "rtl" if donation.language.startswith("ar") else "ltr",
        }


def donation_confirmation_send(*, donation_id: int) -> bool:
    """Thank the donor for a paid gift. Returns False if it was sent before (or the gift is unpaid)."""
    with transaction.atomic():
        donation = (
            Donation.objects.select_for_update(of=("self",))
            .select_related("supporter", "recurring_gift", "fund", "designation_page")
            .get(pk=donation_id)
        )
        if donation.confirmation_sent_at is not None or not donation.paid:
            return False
        _send(
            template="confirmation", to=donation.supporter.email, context=_context(donation), language=donation.language
        )
        donation.confirmation_sent_at = timezone.now()
        donation.save(update_fields=["confirmation_sent_at", "updated_at"])
        donation_event_record(
            key=f"confirmation:{donation.reference}",
            kind=DonationEvent.Kind.CONFIRMATION_SENT,
            occurred_at=donation.confirmation_sent_at,
            donation=donation,
        )
    return True


def tribute_notice_send(*, donation_id: int) -> bool:
    """Tell the person the donor named that a gift was made in honour or memory of someone (never the amount)."""
    with transaction.atomic():
        donation = Donation.objects.select_for_update().select_related("supporter").get(pk=donation_id)
        if donation.tribute_notice_sent_at is not None or not donation.paid or not donation.tribute_notify_email:
            return False
        _send(
            template="tribute",
            to=donation.tribute_notify_email,
            context=_context(donation),
            language=donation.language,
        )
        donation.tribute_notice_sent_at = timezone.now()
        donation.save(update_fields=["tribute_notice_sent_at", "updated_at"])
        donation_event_record(
            key=f"tribute:{donation.reference}",
            kind=DonationEvent.Kind.TRIBUTE_NOTICE_SENT,
            occurred_at=donation.tribute_notice_sent_at,
            donation=donation,
        )
    return True
