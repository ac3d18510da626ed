"""Receipt numbers: gapless per fiscal year, taken in the same database transaction as the gift's posting.

The year's sequence row is locked while the next number is taken, so two
gifts committing at once wait for each other and get consecutive numbers; a
transaction that rolls back gives its number back with everything else, so
no number is ever skipped or used twice.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from donations.receipts.models import Receipt, ReceiptSequence


def fiscal_year_of(moment: datetime | date, *, start_month: int, time_zone: str | None = None) -> int:
    """The fiscal year a moment falls in, named by the calendar year it starts in."""
    if isinstance(moment, datetime):
        from zoneinfo import ZoneInfo

        moment = moment.astimezone(ZoneInfo(time_zone) if time_zone else timezone.get_current_timezone()).date()
    return moment.year if moment.month >= start_month else moment.year - 1


def organisation_calendar() -> tuple[int, str]:
    """The organisation's fiscal-year start month and time zone, from the default site's settings (one query)."""
    from cms.models import OrganisationSettings

    found = (
        OrganisationSettings.objects.filter(site__is_default_site=True)
        .values_list("fiscal_year_start_month", "time_zone")
        .first()
    )
    return found or (1, timezone.get_current_timezone_name())


def receipt_number(fiscal_year: int, sequence: int) -> str:
    return f"{fiscal_year}-{sequence:06d}"


def receipt_allocate(*, donation, received_at: datetime, ledger_seq: int | None) -> tuple[Receipt, bool]:
    """The gift's receipt, numbered now if it has none; returns it and whether it is new.

    Must run inside the transaction that posts the gift, so the number and the
    posting commit or roll back together.
    """
    existing = Receipt.objects.filter(donation=donation).first()
    if existing is not None:
        return existing, False
    start_month, time_zone = organisation_calendar()
    year = fiscal_year_of(received_at, start_month=start_month, time_zone=time_zone)
    with transaction.atomic():
        ReceiptSequence.objects.get_or_create(fiscal_year=year)
        sequence = ReceiptSequence.objects.select_for_update().get(fiscal_year=year)
        existing = Receipt.objects.filter(donation=donation).first()
        if existing is not None:
            return existing, False
        sequence.last_number += 1
        sequence.save(update_fields=["last_number"])
        receipt = Receipt.objects.create(
            number=receipt_number(year, sequence.last_number),
            fiscal_year=year,
            sequence=sequence.last_number,
            donation=donation,
            verification_code=secrets.token_urlsafe(15),
            amount_minor=donation.amount_minor,
            currency=donation.currency,
            received_at=received_at,
            language=donation.language or "en",
            ledger_seq=ledger_seq,
        )
    return receipt, True
