"""The delivery report: a PDF to hand to a petition's targets, in English or Arabic (WeasyPrint).

It states the petition, whom it addresses, what it asks, how many people
confirmed their signature (and how many are still pending or were set aside),
the confirmed signatures by country and region, and a sample of signers'
comments. Counts come from the petition's counters and tallies, as the
dashboard's do, so the report and the public page agree.

As for receipts (donations/receipts/pdf.py), the font is DejaVu Sans for both
scripts, so Arabic is shaped by HarfBuzz with a glyph per letter form and the
PDF's text extracts as the letters written. The stylesheet and the font
configuration are made once per process.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from campaigns.petitions import admin_data

REPORT_LANGUAGES = ("en", "ar")
COMMENT_SAMPLE_SIZE = 25

STYLESHEET = """
@page { size: A4; margin: 18mm 18mm 20mm;
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #222; line-height: 1.4; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 12pt; margin: 7mm 0 2mm; border-bottom: 0.5px solid #999; padding-bottom: 1mm; }
p { margin: 0 0 2mm; }
.org { color: #555; margin-bottom: 5mm; }
.ask { font-size: 11pt; border-left: 2pt solid #333; padding: 1mm 3mm; margin: 3mm 0; white-space: pre-line; }
[dir=rtl] .ask { border-left: none; border-right: 2pt solid #333; }
table.totals { margin: 3mm 0; table-layout: fixed; }
table.totals td { border: none; padding: 0 2mm 0 0; width: 33%; }
[dir=rtl] table.totals td { padding: 0 0 0 2mm; }
.number { font-size: 16pt; font-weight: bold; display: block; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: start; padding: 1.2mm 2mm; border-bottom: 0.5px solid #ccc; vertical-align: top; }
th { font-weight: bold; }
td.num, th.num { text-align: end; white-space: nowrap; }
tr.country td { font-weight: bold; background: #f2f2f2; }
ul.targets { margin: 0; padding-inline-start: 5mm; }
blockquote { margin: 0 0 3mm; padding: 0 0 2mm; border-bottom: 0.5px solid #ddd; }
blockquote .who { color: #555; font-size: 8.5pt; }
.muted { color: #555; }
"""


@cache
def _stylesheet() -> tuple[Any, Any]:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    return CSS(string=STYLESHEET, font_config=font_config), font_config


def report_context(petition: Any, *, language: str) -> dict[str, Any]:
    """What the report shows; call with ``language`` active (region and target names follow it)."""
    shown = admin_data.petition_in_language(petition, language)
    counts = admin_data.petition_counts(petition)
    regions = admin_data.region_breakdown(petition)
    return {
        "petition": shown,
        "title": shown.title,
        "ask": admin_data.petition_ask(shown),
        "targets": admin_data.petition_targets(petition),
        "counts": counts,
        "countries": regions,
        "comments": admin_data.comment_sample(petition, limit=COMMENT_SAMPLE_SIZE),
        "organisation": admin_data.organisation_name(language),
        "generated": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        # The Arabic comma between a target's name, role and office.
        "separator": "، " if language == "ar" else ", ",
    }


def delivery_report_pdf(petition: Any, *, language: str = "en") -> bytes:
    """The delivery report of ``petition`` as PDF bytes, in ``language`` (right to left for Arabic)."""
    from weasyprint import HTML

    if language not in REPORT_LANGUAGES:
        language = "en"
    css, font_config = _stylesheet()
    with translation.override(language):
        context = report_context(petition, language=language)
        html = render_to_string(
            "campaigns/petitions/report_pdf.html",
            {**context, "language": language, "direction": "rtl" if translation.get_language_bidi() else "ltr"},
        )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(stylesheets=[css], font_config=font_config)
