"""Conversion to the reporting currency, and the staff's rates table (kept by hand or imported as CSV).

A gift is converted with the latest rate of its currency valid on the gift's
local date, in Decimal arithmetic, and rounded half-even to an integer in the
reporting currency's minor unit. A gift whose currency has no rate on or
before its date is left out of the figures and counted as unconverted, and the
pages say so. No rate is ever fetched from the network.
"""

from __future__ import annotations

import bisect
import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from cms.currencies import SUPPORTED_CURRENCIES
from donations.insights.models import ExchangeRate
from donations.money import exponent


def convert_minor(minor: int, currency: str, reporting: str, rate: Decimal) -> int:
    """``minor`` units of ``currency`` in minor units of ``reporting`` at ``rate`` (major per major)."""
    if currency == reporting:
        return minor
    value = Decimal(minor).scaleb(exponent(reporting) - exponent(currency)) * rate
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass
class RateBook:
    """Every rate into one reporting currency, for looking up many gifts without a query each."""

    reporting: str
    days: dict[str, list[date]] = field(default_factory=dict)
    rates: dict[str, list[tuple[int, Decimal]]] = field(default_factory=dict)

    def find(self, currency: str, day: date) -> tuple[int | None, Decimal | None]:
        """(rate id, rate) for a gift in ``currency`` on ``day``; (None, 1) when no conversion is needed."""
        if currency == self.reporting:
            return None, Decimal(1)
        days = self.days.get(currency)
        if not days:
            return None, None
        index = bisect.bisect_right(days, day) - 1
        if index < 0:
            return None, None
        return self.rates[currency][index]


def rate_book(reporting: str) -> RateBook:
    book = RateBook(reporting=reporting)
    for pk, currency, valid_from, rate in (
        ExchangeRate.objects.filter(reporting_currency=reporting)
        .order_by("currency", "valid_from")
        .values_list("pk", "currency", "valid_from", "rate")
    ):
        book.days.setdefault(currency, []).append(valid_from)
        book.rates.setdefault(currency, []).append((pk, rate))
    return book


@dataclass
class RateImport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def _parse_row(row: dict[str, str], reporting: str) -> tuple[str, date, Decimal]:
    currency = (row.get("currency") or "").strip().upper()
    if currency not in SUPPORTED_CURRENCIES:
        raise ValueError(_("“%(currency)s” is not a supported currency.") % {"currency": currency})
    if currency == reporting:
        raise ValueError(_("%(currency)s is the reporting currency; it needs no rate.") % {"currency": currency})
    text = (row.get("valid_from") or "").strip()
    try:
        valid_from = date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a date like 2026-01-31.") % {"value": text}) from None
    text = (row.get("rate") or "").strip()
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": text}) from None
    if not rate.is_finite() or rate <= 0:
        raise ValueError(_("The rate must be a number greater than zero."))
    if rate.as_tuple().exponent < -12 or rate.adjusted() >= 12:
        raise ValueError(_("The rate has too many digits (at most 12 before and 12 after the point)."))
    return currency, valid_from, rate


def exchange_rates_import(*, data: bytes, reporting_currency: str, source: str = "csv") -> RateImport:
    """Import rates from CSV (columns currency, valid_from, rate): all rows, or none if any is wrong."""
    result = RateImport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((0, _("The file is not UTF-8 text.")))
        return result
    reader = csv.DictReader(io.StringIO(text))
    headers = {(name or "").strip().lower() for name in (reader.fieldnames or [])}
    missing = {"currency", "valid_from", "rate"} - headers
    if missing:
        result.errors.append(
            (1, _("The first line must name the columns currency, valid_from and rate (missing: %(missing)s).")
             % {"missing": ", ".join(sorted(missing))})
        )  # fmt: skip
        return result
    parsed: dict[tuple[str, date], tuple[int, Decimal]] = {}
    for line, raw in enumerate(reader, start=2):
        row = {(key or "").strip().lower(): value for key, value in raw.items() if isinstance(value, str)}
        if not any((value or "").strip() for value in row.values()):
            continue
        try:
            currency, valid_from, rate = _parse_row(row, reporting_currency)
        except ValueError as exc:
            result.errors.append((line, str(exc)))
            continue
        if (currency, valid_from) in parsed:
            result.errors.append(
                (line, _("%(currency)s on %(day)s is already on line %(line)s.")
                 % {"currency": currency, "day": valid_from.isoformat(), "line": parsed[(currency, valid_from)][0]})
            )  # fmt: skip
            continue
        parsed[(currency, valid_from)] = (line, rate)
    if result.errors:
        return result
    if not parsed:
        result.errors.append((0, _("The file has no rates.")))
        return result
    with transaction.atomic():
        for (currency, valid_from), (_line, rate) in parsed.items():
            _rate, created = ExchangeRate.objects.update_or_create(
                currency=currency,
                reporting_currency=reporting_currency,
                valid_from=valid_from,
                defaults={"rate": rate, "source": source[:120]},
            )
            if created:
                result.created += 1
            else:
                result.updated += 1
    return result
