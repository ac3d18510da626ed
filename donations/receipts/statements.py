"""Annual statements: one PDF per donor per fiscal year, listing each receipted gift, emailed once.

A StatementBatch makes them for every donor with receipts in the year,
counting its progress as it goes. Running a batch again (a retry after a
crash, or a second batch for the same year) rebuilds nothing that was sent
and sends no second email: each (donor, year) statement is emailed once.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from donations.money import format_money
from donations.receipts.models import AnnualStatement, Receipt, StatementBatch
from donations.receipts.numbering import fiscal_year_of, organisation_calendar
from donations.receipts.pdf import local_date, organisation, pdf_render, tax_statement
from supporters.models import Supporter

PDF_TYPE = "application/pdf"


def fiscal_year_bounds(fiscal_year: int, start_month: int) -> tuple[date, date]:
    """The first and last day of a fiscal year (named by the calendar year it starts in)."""
    first = date(fiscal_year, start_month, 1)
    following = date(fiscal_year + 1, start_month, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def _receipts_of(supporter: Supporter, fiscal_year: int):
    return (
        Receipt.objects.filter(donation__supporter=supporter, fiscal_year=fiscal_year)
        .exclude(status=Receipt.Status.VOID)
        .select_related("donation", "donation__fund", "donation__designation_page")
        .order_by("sequence")
    )


def _totals(receipts) -> dict[str, int]:
    totals: dict[str, int] = {}
    for receipt in receipts:
        totals[receipt.currency] = totals.get(receipt.currency, 0) + receipt.amount_minor
    return dict(sorted(totals.items()))


def _context(supporter: Supporter, fiscal_year: int, receipts, totals: dict[str, int]) -> dict[str, Any]:
    start_month, time_zone = organisation_calendar()
    first, last = fiscal_year_bounds(fiscal_year, start_month)
    org = organisation()
    language = supporter.language or "en"
    return {
        "supporter": supporter,
        "donor_name": supporter.name or supporter.email,
        "fiscal_year": fiscal_year,
        "period_start": formats.date_format(first, "DATE_FORMAT"),
        "period_end": formats.date_format(last, "DATE_FORMAT"),
        "legal_name": org.display_legal_name if org else "",
        "address": org.display_address if org else "",
        "charity_number": org.charity_number if org else "",
        "gifts": [
            {
                "number": receipt.number,
                "date": local_date(receipt.received_at, time_zone),
                "designation": receipt.donation.designation_label,
                "amount": format_money(receipt.amount_minor, receipt.currency, language),
                "amended": receipt.status == Receipt.Status.AMENDED,
            }
            for receipt in receipts
        ],
        "totals": [format_money(amount, currency, language) for currency, amount in totals.items()],
        "tax_statement": tax_statement(),
    }


def statement_build(*, supporter: Supporter, fiscal_year: int) -> AnnualStatement:
    """Make (or remake) the donor's statement PDF for the year from their receipts; not emailed."""
    receipts = list(_receipts_of(supporter, fiscal_year))
    totals = _totals(receipts)
    language = supporter.language or "en"
    with translation.override(language):
        context = _context(supporter, fiscal_year, receipts, totals)
    content = pdf_render("receipts/statement_pdf.html", context, language=language)
    statement, _created = AnnualStatement.objects.get_or_create(supporter=supporter, fiscal_year=fiscal_year)
    old_name = statement.pdf.name
    statement.totals = totals
    statement.gift_count = len(receipts)
    statement.pdf.save(f"statement-{fiscal_year}-{supporter.pk}.pdf", ContentFile(content), save=False)
    statement.save()
    if old_name and old_name != statement.pdf.name:
        statement.pdf.storage.delete(old_name)
    return statement


def _email(statement: AnnualStatement) -> None:
    supporter = statement.supporter
    language = supporter.language or "en"
    with translation.override(language):
        org = organisation()
        context = {
            "donor_name": supporter.name or supporter.email,
            "fiscal_year": statement.fiscal_year,
            "gift_count": statement.gift_count,
            "totals": [format_money(amount, currency, language) for currency, amount in statement.totals.items()],
            "organisation": org,
            "direction": "rtl" if translation.get_language_bidi() else "ltr",
            "language": language,
        }
        subject = " ".join(render_to_string("receipts/email/statement_subject.txt", context).split())
        text = render_to_string("receipts/email/statement.txt", context)
        html = render_to_string("receipts/email/statement.html", context)
    message = EmailMultiAlternatives(subject, text, to=[supporter.email])
    message.attach_alternative(html, "text/html")
    with statement.pdf.open("rb") as handle:
        message.attach(f"statement-{statement.fiscal_year}.pdf", handle.read(), PDF_TYPE)
    message.send()


def statement_send_once(*, supporter_id: int, fiscal_year: int) -> bool:
    """Build and email one donor's statement unless it was emailed before; True if it was sent now."""
    with transaction.atomic():
        supporter = Supporter.objects.select_for_update().get(pk=supporter_id)
        sent = AnnualStatement.objects.filter(
            supporter=supporter, fiscal_year=fiscal_year, emailed_at__isnull=False
        ).exists()
        if sent:
            return False
        statement = statement_build(supporter=supporter, fiscal_year=fiscal_year)
        if not supporter.email:
            return False
        _email(statement)
        statement.emailed_at = timezone.now()
        statement.save(update_fields=["emailed_at", "generated_at"])
    return True


def statement_supporters(fiscal_year: int) -> list[int]:
    """Every donor with a receipt (not void) in the fiscal year."""
    ids = (
        Receipt.objects.filter(fiscal_year=fiscal_year)
        .exclude(status=Receipt.Status.VOID)
        .values_list("donation__supporter_id", flat=True)
    )
    return sorted(set(ids))


def statement_batch_run(*, batch_id: int) -> int:
    """Make and send every donor's statement for the batch's year, counting progress; returns how many were sent."""
    with transaction.atomic():
        batch = StatementBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status == StatementBatch.Status.DONE:
            return 0
        supporters = statement_supporters(batch.fiscal_year)
        batch.total, batch.done, batch.status, batch.error = len(supporters), 0, StatementBatch.Status.RUNNING, ""
        batch.save(update_fields=["total", "done", "status", "error"])
    sent = 0
    try:
        for supporter_id in supporters:
            sent += statement_send_once(supporter_id=supporter_id, fiscal_year=batch.fiscal_year)
            StatementBatch.objects.filter(pk=batch_id).update(done=F("done") + 1)
    except Exception as exc:
        StatementBatch.objects.filter(pk=batch_id).update(status=StatementBatch.Status.FAILED, error=str(exc)[:2000])
        raise
    StatementBatch.objects.filter(pk=batch_id).update(status=StatementBatch.Status.DONE, finished_at=timezone.now())
    return sent


def statement_batch_start(*, fiscal_year: int, user=None) -> StatementBatch:
    """Queue a batch for the year (staff on demand, or the daily task after year end)."""
    from donations.tasks import statement_batch_run as run_task

    with transaction.atomic():
        batch = StatementBatch.objects.create(fiscal_year=fiscal_year, requested_by=user)
        run_task.delay_on_commit(batch.pk)
    return batch


def statement_batch_for_ended_year(*, today: date | None = None) -> StatementBatch | None:
    """The batch for the fiscal year that has just ended, started if none exists yet and it had gifts."""
    start_month, time_zone = organisation_calendar()
    today = today or timezone.localdate(timezone=ZoneInfo(time_zone))
    ended = fiscal_year_of(today, start_month=start_month) - 1
    if StatementBatch.objects.filter(fiscal_year=ended).exists():
        return None
    if not Receipt.objects.filter(fiscal_year=ended).exists():
        return None
    return statement_batch_start(fiscal_year=ended)
