"""Receipt and statement PDFs, made with WeasyPrint from HTML templates, in the donor's language.

Arabic is shaped by HarfBuzz (through Pango) and laid out right to left. The
font is the system's DejaVu Sans, for both scripts, on purpose: its Arabic has
a glyph per letter form, so the PDF's text layer maps each glyph back to its
letter and copying or extracting a name gives the name. Noto Sans Arabic
(the web pages' font) builds letters from shared dotless bodies plus dots, so
in a PDF "فاطمة" would extract as "خاطمة"; a receipt must not misspell its
donor. The stylesheet and the font configuration are made once per process,
so a receipt costs one small layout: see bench/receipts.py for the figure.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from donations.money import format_money

STYLESHEET = """
@page { size: A4; margin: 18mm 18mm 20mm; }
html { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; color: #222; line-height: 1.4; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 6mm 0 2mm; }
p { margin: 0 0 2mm; }
.org { border-bottom: 1px solid #999; padding-bottom: 3mm; margin-bottom: 5mm; }
.org .legal { font-weight: bold; font-size: 12pt; }
.muted { color: #555; }
.address { white-space: pre-line; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: start; padding: 1.5mm 2mm; border-bottom: 0.5px solid #ccc; vertical-align: top; }
th { font-weight: bold; }
td.num, th.num { text-align: end; }
.fact { border-bottom: 0.5px solid #ccc; padding: 1.5mm 2mm; }
.fact { display: flow-root; }
.fact .label { float: left; width: 38%; font-weight: bold; }
[dir=rtl] .fact .label { float: right; }
.amount { font-size: 13pt; font-weight: bold; }
.verify { margin-top: 7mm; }
.qr { float: left; width: 30mm; height: 30mm; image-rendering: pixelated; }
[dir=rtl] .qr { float: right; }
.check { margin-left: 34mm; }
[dir=rtl] .check { margin-left: 0; margin-right: 34mm; }
.tax { margin-top: 5mm; padding: 2mm 3mm; border: 0.5px solid #999; }
.watermark { position: fixed; top: 95mm; left: 0; right: 0; text-align: center; font-size: 72pt; font-weight: bold;
  color: rgba(190, 0, 0, 0.18); transform: rotate(-30deg); }
.status { color: #b00; font-weight: bold; }
.url { font-size: 8pt; white-space: nowrap; }
"""


@cache
def _stylesheet() -> tuple[Any, Any]:
    """The parsed stylesheet and the font configuration holding its faces, made once per process."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    css = CSS(string=STYLESHEET, font_config=font_config)
    return css, font_config


def pdf_render(template_name: str, context: dict[str, Any], *, language: str) -> bytes:
    """Render an HTML template to PDF bytes with ``language`` active (and right to left for Arabic)."""
    from weasyprint import HTML

    css, font_config = _stylesheet()
    with translation.override(language):
        html = render_to_string(
            template_name,
            {**context, "language": language, "direction": "rtl" if translation.get_language_bidi() else "ltr"},
        )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(stylesheets=[css], font_config=font_config)


def qr_data_uri(data: str) -> str:
    """A QR code as a tiny PNG (one pixel per module), scaled up crisply by the stylesheet.

    Cheaper than an SVG path, which WeasyPrint parses module by module; the
    mask is fixed rather than scored, which keeps encoding fast and the code valid.
    """
    return segno.make(data, error="m", mask=0).png_data_uri(scale=1, border=2)


def verification_url(code: str, language: str = "en") -> str:
    """The absolute address of a receipt's public verification page, in the receipt's language."""
    with translation.override(language):
        return settings.BASE_URL + reverse("receipts:verify", args=[code])


def payment_method_label(donation) -> str:
    """Brand and last four digits only, or how an offline gift was paid."""
    if donation.offline_method:
        return str(donation.get_offline_method_display())
    if donation.card_last4:
        brand = (donation.card_brand or _("Card")).replace("_", " ").title()
        return f"{brand} •••• {donation.card_last4}"
    if donation.payment_method_type:
        return donation.payment_method_type.replace("_", " ").title()
    return _("Card")


def organisation():
    """The default site's OrganisationSettings (None before a site exists)."""
    from wagtail.models import Site

    from cms.models import OrganisationSettings

    site = Site.objects.filter(is_default_site=True).first()
    return OrganisationSettings.for_site(site) if site else None


def local_date(moment, time_zone: str) -> str:
    """A date in the organisation's time zone, written in the active language."""
    return formats.date_format(moment.astimezone(ZoneInfo(time_zone)).date(), "DATE_FORMAT")


def tax_statement() -> str:
    return settings.RECEIPT_TAX_STATEMENT or _("No goods or services were provided in exchange for this gift.")


def receipt_context(receipt) -> dict[str, Any]:
    """Everything the receipt template shows; call with the receipt's language active."""
    from donations.receipts.models import Receipt

    donation = receipt.donation
    org = organisation()
    language = receipt.language
    time_zone = getattr(org, "time_zone", None) or settings.TIME_ZONE
    url = verification_url(receipt.verification_code, language)
    original = donation.amount_minor
    return {
        "receipt": receipt,
        "organisation": org,
        "legal_name": org.display_legal_name if org else "",
        "address": org.display_address if org else "",
        "charity_number": org.charity_number if org else "",
        "date": local_date(receipt.received_at, time_zone),
        "issued": local_date(receipt.issued_at, time_zone) if receipt.issued_at else "",
        "amount": format_money(receipt.amount_minor, receipt.currency, language),
        "original_amount": format_money(original, receipt.currency, language)
        if original != receipt.amount_minor
        else "",
        "designation": donation.designation_label,
        "payment_method": payment_method_label(donation),
        "donor_name": donation.supporter.name or donation.supporter.email,
        "tax_statement": tax_statement(),
        "verify_url": url,
        "qr": qr_data_uri(url),
        "void": receipt.status == Receipt.Status.VOID,
        "amended": receipt.status == Receipt.Status.AMENDED,
        "last_change": receipt.changes.order_by("-at", "-id").first() if receipt.pk else None,
        "test_mode": donation.gateway == "sandbox",
    }


def receipt_pdf_render(receipt) -> bytes:
    """The receipt as a PDF, in the donor's language."""
    language = receipt.language or "en"
    with translation.override(language):
        context = receipt_context(receipt)
    return pdf_render("receipts/receipt_pdf.html", context, language=language)
