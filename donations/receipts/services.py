"""Receipts after they are numbered: their PDF, sending it once, and voiding or amending it after a refund.

A receipt's PDF version is 1 for the first issue plus one per ReceiptChange;
``pdf_version`` is the version stored, ``emailed_version`` the version the
donor was sent. Each is brought up to date under a row lock, so running a
task twice renders or sends nothing more.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from donations.money import format_money
from donations.receipts.models import Receipt, ReceiptChange
from donations.receipts.pdf import receipt_pdf_render, verification_url

PDF_TYPE = "application/pdf"


def receipt_current_version(receipt: Receipt) -> int:
    """The PDF version that reflects every change so far."""
    return 1 + receipt.changes.count()


def receipt_filename(receipt: Receipt) -> str:
    return f"receipt-{receipt.number}.pdf"


def _pdf_stale(receipt: Receipt) -> bool:
    """No PDF yet, or one made before the receipt's latest change."""
    return not receipt.pdf or receipt.pdf_version < receipt_current_version(receipt)


def receipt_pdf_build(receipt: Receipt) -> Receipt:
    """Render the receipt's PDF into private storage and bump its version."""
    content = receipt_pdf_render(receipt)
    version = receipt_current_version(receipt)
    old_name = receipt.pdf.name
    receipt.pdf.save(f"{receipt.number}-v{version}.pdf", ContentFile(content), save=False)
    receipt.pdf_version = version
    receipt.save(update_fields=["pdf", "pdf_version"])
    if old_name and old_name != receipt.pdf.name:
        receipt.pdf.storage.delete(old_name)
    return receipt


def receipt_pdf_ensure(receipt: Receipt) -> Receipt:
    """The receipt with a PDF that shows its present state (built now if missing or stale)."""
    if _pdf_stale(receipt):
        with transaction.atomic():
            locked = Receipt.objects.select_for_update().select_related("donation__supporter").get(pk=receipt.pk)
            if _pdf_stale(locked):
                receipt_pdf_build(locked)
            return locked
    return receipt


def _locked(receipt_id: int) -> Receipt:
    return (
        Receipt.objects.select_for_update(of=("self",))
        .select_related("donation__supporter", "donation__fund", "donation__designation_page")
        .get(pk=receipt_id)
    )


def _mark_emailed(receipt: Receipt) -> None:
    receipt.emailed_version = receipt.pdf_version
    receipt.emailed_at = timezone.now()
    receipt.save(update_fields=["emailed_version", "emailed_at"])


def receipt_attachment_for_confirmation(*, donation_id: int) -> list[tuple[str, bytes, str]]:
    """The receipt PDF to attach to the gift's confirmation email, marked as sent with it.

    Called inside the transaction that sends the confirmation (the gift's row
    is locked), so the receipt goes out once, in that email, and no second
    receipt email follows.
    """
    receipt_id = Receipt.objects.filter(donation_id=donation_id).values_list("pk", flat=True).first()
    if receipt_id is None:
        return []
    receipt = _locked(receipt_id)
    if _pdf_stale(receipt):
        receipt_pdf_build(receipt)
    _mark_emailed(receipt)
    with receipt.pdf.open("rb") as handle:
        return [(receipt_filename(receipt), handle.read(), PDF_TYPE)]


def _receipt_email(receipt: Receipt, content: bytes) -> EmailMultiAlternatives:
    from donations.receipts.pdf import organisation

    donation = receipt.donation
    with translation.override(receipt.language):
        context = {
            "receipt": receipt,
            "donor_name": donation.supporter.name or donation.supporter.email,
            "amount": format_money(receipt.amount_minor, receipt.currency, receipt.language),
            "verify_url": verification_url(receipt.verification_code, receipt.language),
            "organisation": organisation(),
            "void": receipt.status == Receipt.Status.VOID,
            "amended": receipt.status == Receipt.Status.AMENDED,
            "direction": "rtl" if translation.get_language_bidi() else "ltr",
        }
        subject = " ".join(render_to_string("receipts/email/receipt_subject.txt", context).split())
        text = render_to_string("receipts/email/receipt.txt", context)
        html = render_to_string("receipts/email/receipt.html", context)
    message = EmailMultiAlternatives(subject, text, to=[donation.supporter.email])
    message.attach_alternative(html, "text/html")
    message.attach(receipt_filename(receipt), content, PDF_TYPE)
    return message


def receipt_deliver(*, receipt_id: int) -> bool:
    """Email the receipt's current PDF to the donor unless that version was sent; True if an email went."""
    with transaction.atomic():
        receipt = _locked(receipt_id)
        if _pdf_stale(receipt):
            receipt_pdf_build(receipt)
        if receipt.emailed_version >= receipt.pdf_version or not receipt.donation.supporter.email:
            return False
        with receipt.pdf.open("rb") as handle:
            content = handle.read()
        _receipt_email(receipt, content).send()
        _mark_emailed(receipt)
    return True


def receipt_change_record(
    *, receipt: Receipt, refunded_minor: int, reason: str, source_key: str, actor=None
) -> ReceiptChange | None:
    """Void or amend a receipt because ``refunded_minor`` of it was returned; once per source key.

    Must run in the transaction that records the refund. The donor is sent the
    new PDF once, after commit.
    """
    from donations.ledger.services import audit_record

    if ReceiptChange.objects.filter(source_key=source_key).exists():
        return None
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    before = receipt.amount_minor
    after = max(0, before - refunded_minor)
    if after == before:
        return None
    status = Receipt.Status.VOID if after == 0 else Receipt.Status.AMENDED
    change = ReceiptChange.objects.create(
        receipt=receipt,
        status=status,
        amount_before_minor=before,
        amount_after_minor=after,
        reason=reason[:500],
        source_key=source_key,
        actor=actor,
    )
    receipt.amount_minor = after
    receipt.status = status
    receipt.save(update_fields=["amount_minor", "status"])
    audit_record(
        actor=actor,
        action=f"receipt.{'void' if status == Receipt.Status.VOID else 'amend'}",
        obj=receipt,
        summary=f"{receipt.number}: {reason}",
        detail={
            "number": receipt.number,
            "before_minor": before,
            "after_minor": after,
            "currency": receipt.currency,
            "source_key": source_key,
        },
    )
    from donations.tasks import receipt_deliver as deliver_task

    deliver_task.delay_on_commit(receipt.pk)
    return change


def receipt_event_apply(event) -> ReceiptChange | None:
    """A refund or a lost dispute reduces the gift's receipt: amended if some remains, void if none.

    Called by the ledger posting of the event, in its transaction.
    """
    from donations.models import DonationEvent, RefundRequest

    if event.kind not in (DonationEvent.Kind.REFUNDED, DonationEvent.Kind.DISPUTE_LOST) or not event.amount_minor:
        return None
    receipt = Receipt.objects.filter(donation_id=event.donation_id).first()
    if receipt is None:
        return None
    amount = format_money(event.amount_minor, receipt.currency, settings.LANGUAGE_CODE)
    actor = None
    with translation.override(settings.LANGUAGE_CODE):
        if event.kind == DonationEvent.Kind.DISPUTE_LOST:
            reason = _("Payment disputed by the card holder and lost: %(amount)s returned.") % {"amount": amount}
        else:
            reason = _("Refunded: %(amount)s.") % {"amount": amount}
            request = RefundRequest.objects.filter(donation_id=event.donation_id).order_by("-created_at").first()
            if request is not None:
                actor = request.requested_by
                reason = f"{reason} {request.reason}"
    return receipt_change_record(
        receipt=receipt,
        refunded_minor=event.amount_minor,
        reason=reason,
        source_key=f"event:{event.key}",
        actor=actor or event.actor,
    )
