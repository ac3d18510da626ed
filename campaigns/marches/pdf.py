"""The march's summary as a PDF for delivery to its targets, in English or Arabic (WeasyPrint)."""

from __future__ import annotations

from django.utils import timezone, translation

from campaigns.marches.models import MarchAction, VirtualMarchPage
from campaigns.marches.selectors import march_summary, region_label
from donations.receipts.pdf import organisation, pdf_render


def march_summary_pdf(*, march: VirtualMarchPage, language: str) -> bytes:
    """Participation by region and by hour, call outcomes and a sample of letters, in ``language``."""
    canonical = march.canonical()
    page = canonical.in_language(language)
    summary = march_summary(march=canonical)
    with translation.override(language):
        outcome_rows = [(str(MarchAction.Outcome(value).label), n) for value, n in summary["outcomes"]]
        region_rows = [{**row, "label": str(region_label(row["region"]))} for row in summary["counts"]["by_region"]]
    context = {
        "page": page,
        "summary": summary,
        "organisation": organisation(),
        "targets": list(canonical.targets.all()),
        "window_start": timezone.localtime(canonical.window_start, canonical.zone),
        "window_end": timezone.localtime(canonical.window_end, canonical.zone),
        "time_zone": canonical.time_zone,
        "outcome_rows": outcome_rows,
        "region_rows": region_rows,
        "generated_at": timezone.localtime(timezone.now(), canonical.zone),
    }
    return pdf_render("campaigns/marches/summary_pdf.html", context, language=language)
