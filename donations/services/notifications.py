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
from donations.receipts.services import receipt_attachment_for_confirmation
from donations.services.events import donation_event_record


def _organisation() -> OrganisationSettings | None:
    site = Site.objects.filter(is_default_site=True).first()
    return OrganisationSettings.for_site(site) if site else None


def _send(*, template: str, to: str, context: dict[str, Any], language: str, attachments: list | None = None) -> None:
    with translation.override(language):
        subject = " ".join(render_to_string(f"donations/email/{template}_subject.txt", context).split())
        text = render_to_string(f"donations/email/{template}.txt", context)
        html = render_to_string(f"donations/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to])
    message.attach_alternative(html, "text/html")
    for name, content, mimetype in attachments or []:
        message.attach(name, content, mimetype)
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


def _send_once(
    *, donation_id: int, sent_field: str, template: str, kind: str, recipient: str = "", attach_receipt: bool = False
) -> bool:
    """Send one kind of email about a paid gift, at most once: the gift's row is locked while it goes."""
    with transaction.atomic():
        donation = (
            Donation.objects.select_for_update(of=("self",))
            .select_related("supporter", "recurring_gift", "fund", "designation_page")
            .get(pk=donation_id)
        )
        to = getattr(donation, recipient) if recipient else donation.supporter.email
        if getattr(donation, sent_field) is not None or not donation.paid or not to:
            return False
        # The receipt travels with the thank-you (it was numbered with the payment): one email, not two.
        attachments = receipt_attachment_for_confirmation(donation_id=donation.pk) if attach_receipt else []
        context = {**_context(donation), "receipt_attached": bool(attachments)}
        _send(template=template, to=to, context=context, language=donation.language, attachments=attachments)
        sent_at = timezone.now()
        setattr(donation, sent_field, sent_at)
        donation.save(update_fields=[sent_field, "updated_at"])
        donation_event_record(key=f"{template}:{donation.reference}", kind=kind, occurred_at=sent_at, donation=donation)
    return True


def donation_confirmation_send(*, donation_id: int) -> bool:
    """Thank the donor for a paid gift. Returns False if it was sent before (or the gift is unpaid)."""
    return _send_once(
        donation_id=donation_id,
        sent_field="confirmation_sent_at",
        template="confirmation",
        kind=DonationEvent.Kind.CONFIRMATION_SENT,
        attach_receipt=True,
    )


def tribute_notice_send(*, donation_id: int) -> bool:
    """Tell the person the donor named that a gift was made in honour or memory of someone (never the amount)."""
    return _send_once(
        donation_id=donation_id,
        sent_field="tribute_notice_sent_at",
        template="tribute",
        kind=DonationEvent.Kind.TRIBUTE_NOTICE_SENT,
        recipient="tribute_notify_email",
    )
