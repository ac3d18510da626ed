"""Receipt pages: anyone can check a receipt by its code; only its donor (or staff) can download it."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django_ratelimit.decorators import ratelimit

from donations.gift_cookie import gift_is_remembered
from donations.money import format_money
from donations.receipts.models import Receipt
from donations.receipts.pdf import local_date, organisation
from donations.receipts.services import receipt_filename, receipt_pdf_ensure

VERIFY_RATE = "30/m"


def _is_donor(request: HttpRequest, receipt: Receipt) -> bool:
    return gift_is_remembered(request, receipt.donation.reference)


def _proof_status(receipt: Receipt) -> dict[str, Any]:
    """Whether the receipt's ledger entry is in the latest signed checkpoint, checked here and now."""
    from donations.ledger.proofs import check_inclusion_document
    from donations.ledger.services import inclusion_document, public_key_b64

    if receipt.ledger_seq is None:
        return {"state": "none"}
    try:
        document = inclusion_document(seq=receipt.ledger_seq)
    except LookupError:
        return {"state": "pending"}
    finding = check_inclusion_document(document, public_key_b64())
    return {
        "state": "verified" if finding.ok else "failed",
        "tree_size": document["checkpoint"]["tree_size"],
        "timestamp": document["checkpoint"]["timestamp"],
        "root_hash": document["checkpoint"]["root_hash"],
        "seq": receipt.ledger_seq,
    }


@ratelimit(key="ip", rate=VERIFY_RATE, block=True)
def verify(request: HttpRequest, code: str) -> HttpResponse:
    receipt = (
        Receipt.objects.select_related("donation__supporter", "donation__fund", "donation__designation_page")
        .filter(verification_code=code)
        .first()
    )
    if receipt is None:
        return render(request, "receipts/verify_unknown.html", {"code": code[:64]}, status=404)
    org = organisation()
    language = translation.get_language() or "en"
    donation = receipt.donation
    return render(
        request,
        "receipts/verify.html",
        {
            "receipt": receipt,
            "amount": format_money(receipt.amount_minor, receipt.currency, language),
            "original_amount": format_money(donation.amount_minor, receipt.currency, language)
            if donation.amount_minor != receipt.amount_minor
            else "",
            "date": local_date(receipt.received_at, org.time_zone if org else "UTC"),
            "designation": donation.designation_label,
            "legal_name": org.display_legal_name if org else "",
            "charity_number": org.charity_number if org else "",
            "donor_name": (donation.supporter.name or donation.supporter.email) if _is_donor(request, receipt) else "",
            "changes": list(receipt.changes.all()),
            "proof": _proof_status(receipt),
            "test_mode": donation.gateway == "sandbox",
        },
    )


def download(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """The receipt PDF of a gift, for the browser that made the gift or for staff who may view gifts."""
    receipt = Receipt.objects.select_related("donation__supporter").filter(donation__reference=reference).first()
    if receipt is None:
        raise Http404
    allowed = _is_donor(request, receipt) or (
        request.user.is_authenticated and request.user.has_perm("donations.view_donation")
    )
    if not allowed:
        raise Http404
    receipt = receipt_pdf_ensure(receipt)
    response = FileResponse(
        receipt.pdf.open("rb"), as_attachment=True, filename=receipt_filename(receipt), content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response
