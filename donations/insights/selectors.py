"""Every figure the Insights pages show, read from the rollups (or the per-gift facts for donor-level figures).

Each selector takes a :class:`Scope` (dates in the organisation's time zone,
a channel, a campaign or designation page, a fund) and returns a result whose
``table()`` is exactly what the page's data table shows and what the CSV or
XLSX export contains. Amounts are integers in the reporting currency's minor
unit.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from donations.insights import hijri
from donations.insights.models import (
    MONTHLY,
    CohortRollup,
    DailyRollup,
    DonorRollup,
    ExchangeRate,
    GiftFact,
    HourlyRollup,
    MrrRollup,
    SourceRollup,
    SpikeAnnotation,
)

# Groups of fewer people than this are never shown on their own (demographics).
MIN_GROUP = 10
# Spikes: a day is flagged when its robust z-score against the previous WINDOW days reaches THRESHOLD.
SPIKE_WINDOW = 28
SPIKE_MIN_HISTORY = 7
SPIKE_THRESHOLD = 3.5
LAPSED_MONTHS = 13
COHORT_MONTHS = 12
SIZE_BUCKETS = [0, 10, 25, 50, 100, 250, 500, 1000]  # lower edges, in major units of the reporting currency


@dataclass(frozen=True)
class Scope:
    since: date | None = None
    until: date | None = None
    surface: str = ""
    page_id: int = 0
    fund_id: int = 0

    @classmethod
    def default(cls) -> Scope:
        return cls()

    def filter(self, queryset: QuerySet, *, dates: bool = True) -> QuerySet:
        if dates and self.since:
            queryset = queryset.filter(local_date__gte=self.since)
        if dates and self.until:
            queryset = queryset.filter(local_date__lte=self.until)
        if self.surface:
            queryset = queryset.filter(surface=self.surface)
        if self.page_id:
            queryset = queryset.filter(page_id=self.page_id)
        if self.fund_id:
            queryset = queryset.filter(fund_id=self.fund_id)
        return queryset

    def facts(self, *, dates: bool = True) -> QuerySet[GiftFact]:
        return self.filter(GiftFact.objects.filter(converted=True), dates=dates)


@dataclass
class Cell:
    gifts: int = 0
    amount: int = 0


@dataclass
class Table:
    """A data table: what the page shows beside a chart and what its export contains."""

    headers: list[str]
    rows: list[list[Any]]
    numeric: set[int] = field(default_factory=set)
    money: set[int] = field(default_factory=set)  # amounts in the reporting currency's minor units


def month_key(day: date) -> date:
    return day.replace(day=1)


def whole_months(
    since: date | None, until: date | None
) -> tuple[tuple[date | None, date | None] | None, list[tuple[date, date]]]:
    """A range of days as its whole months (first and last month's first day; None: open) and the days at
    its ends, both inclusive. No whole month: (None, [(since, until)])."""
    step = relativedelta(months=1)
    first = since if since is None or since.day == 1 else month_key(since) + step
    end = (
        None
        if until is None
        else (month_key(until) if (until + timedelta(days=1)).day == 1 else month_key(until) - step)
    )
    if first is not None and end is not None and first > end:
        return None, [(since, until)]  # type: ignore[list-item]
    days = []
    if since is not None and first is not None and since < first:
        days.append((since, first - timedelta(days=1)))
    if until is not None and end is not None and until >= end + step:
        days.append((end + step, until))
    return (first, end), days


def grains(scope: Scope, model: type[Any], *filters: Q) -> list[QuerySet]:
    """A day-grain rollup's rows in the scope as querysets that together cover its dates: its month rollup for
    the whole months (a twentieth of the rows), the day rollup itself for the days at the ends."""
    months, days = whole_months(scope.since, scope.until)
    found = []
    if months is not None:
        found.append(_between(scope.filter(MONTHLY[model].objects.filter(*filters), dates=False), *months))
    for low, high in days:
        found.append(_between(scope.filter(model.objects.filter(*filters), dates=False), low, high))
    return found


def _between(queryset: QuerySet, low: date | None, high: date | None) -> QuerySet:
    return queryset.filter(**_bounds(low, high))


def summed(
    scope: Scope, model: type[Any], keys: tuple[str, ...], *filters: Q, counts: tuple[str, ...] = ("gifts", "amount")
) -> dict[tuple, list[int]]:
    """Rollup counts in the scope summed per ``keys`` (whole months read from the month rollup)."""
    found: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(counts))
    width = len(keys)
    sums = {f"sum_{name}": Sum(name) for name in counts}
    for rows in grains(scope, model, *filters):
        for row in rows.values_list(*keys).annotate(**sums).order_by():
            cell = found[row[:width]]
            for index, n in enumerate(row[width:]):
                cell[index] += n
    return found


# -- When people give ---------------------------------------------------------------------------------


@dataclass
class Heatmap:
    cells: dict[tuple[int, int], Cell]

    def cell(self, weekday: int, hour: int) -> Cell:
        return self.cells.get((weekday, hour), Cell())

    @property
    def peak(self) -> Cell:
        return max(self.cells.values(), key=lambda cell: cell.gifts, default=Cell())

    def table(self) -> Table:
        from django.utils.dates import WEEKDAYS

        rows = [
            [str(WEEKDAYS[weekday]), f"{hour:02d}:00", self.cell(weekday, hour).gifts, self.cell(weekday, hour).amount]
            for weekday in range(7)
            for hour in range(24)
        ]
        return Table([_("Weekday"), _("Hour"), _("Gifts"), _("Amount")], rows, {2, 3}, {3})


def heatmap(scope: Scope) -> Heatmap:
    cells = summed(scope, HourlyRollup, ("weekday", "local_hour"))
    return Heatmap({key: Cell(gifts, amount) for key, (gifts, amount) in cells.items()})


@dataclass
class Day:
    day: date
    gifts: int
    amount: int
    z: float | None = None
    spike: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Daily:
    days: list[Day]

    @property
    def spikes(self) -> list[Day]:
        return [day for day in self.days if day.spike]

    def table(self, *, spikes_only: bool = False) -> Table:
        rows = [
            [
                d.day,
                d.gifts,
                d.amount,
                "" if d.z is None else round(d.z, 2),
                _("yes") if d.spike else "",
                "; ".join(d.notes),
            ]
            for d in (self.spikes if spikes_only else self.days)
        ]
        headers = [_("Day"), _("Gifts"), _("Amount"), _("Robust z-score"), _("Spike"), _("Annotations")]
        return Table(headers, rows, {1, 2, 3}, {2})


def robust_z(value: float, history: list[float]) -> float | None:
    """0.6745 (x - median) / MAD of the history (Iglewicz and Hoaglin); None without enough history or spread."""
    if len(history) < SPIKE_MIN_HISTORY:
        return None
    median = statistics.median(history)
    mad = statistics.median(abs(x - median) for x in history)
    if mad == 0:
        mean_ad = statistics.fmean(abs(x - median) for x in history)
        if mean_ad == 0:
            return None
        return (value - median) / (1.2533 * mean_ad)
    return 0.6745 * (value - median) / mad


def annotations(scope: Scope) -> dict[date, list[str]]:
    notes: dict[date, list[str]] = defaultdict(list)
    queryset = SpikeAnnotation.objects.all()
    if scope.since:
        queryset = queryset.filter(day__gte=scope.since)
    if scope.until:
        queryset = queryset.filter(day__lte=scope.until)
    for day, note in queryset.values_list("day", "note"):
        notes[day].append(note)
    return notes


def daily(scope: Scope) -> Daily:
    """Every day of the range (days without gifts included), each scored against the days before it."""
    start = (scope.since - timedelta(days=SPIKE_WINDOW)) if scope.since else None
    queryset = scope.filter(DailyRollup.objects.all(), dates=False)
    if start:
        queryset = queryset.filter(local_date__gte=start)
    if scope.until:
        queryset = queryset.filter(local_date__lte=scope.until)
    totals = {
        row["local_date"]: (row["gifts"], row["amount"])
        for row in queryset.values("local_date").annotate(gifts=Sum("gifts"), amount=Sum("amount"))
    }
    notes = annotations(scope)
    if not totals:
        return Daily([Day(day, 0, 0, notes=notes[day]) for day in sorted(notes)])
    first, last = min(totals), max(totals)
    if scope.until:
        last = max(last, scope.until) if scope.until <= date.today() else last
    days: list[Day] = []
    amounts: list[float] = []
    day = first
    while day <= last:
        gifts, amount = totals.get(day, (0, 0))
        z = robust_z(amount, amounts[-SPIKE_WINDOW:])
        if not scope.since or day >= scope.since:
            days.append(Day(day, gifts, amount, z, z is not None and z >= SPIKE_THRESHOLD, notes.get(day, [])))
        amounts.append(amount)
        day += timedelta(days=1)
    return Daily(days)


# -- Calendars ----------------------------------------------------------------------------------------


def daily_totals(scope: Scope) -> dict[date, Cell]:
    """Gifts and amount per local date in the scope (the calendars share one reading of them)."""
    rows = (
        scope.filter(DailyRollup.objects.all()).values("local_date").annotate(gifts=Sum("gifts"), amount=Sum("amount"))
    )
    return {row["local_date"]: Cell(row["gifts"], row["amount"]) for row in rows}


@dataclass
class MonthRow:
    year: int
    month: int
    gifts: int
    amount: int
    label: str
    marked: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Months:
    rows: list[MonthRow]
    calendar: str

    def table(self) -> Table:
        rows = [[r.label, r.gifts, r.amount, _("yes") if r.marked else "", "; ".join(r.notes)] for r in self.rows]
        return Table([_("Month"), _("Gifts"), _("Amount"), _("Marked"), _("Annotations")], rows, {1, 2}, {2})


def gregorian_months(scope: Scope, days: dict[date, Cell] | None = None) -> Months:
    from django.utils.dates import MONTHS

    totals: dict[tuple[int, int], Cell] = defaultdict(Cell)
    for day, cell in (daily_totals(scope) if days is None else days).items():
        totals[(day.year, day.month)].gifts += cell.gifts
        totals[(day.year, day.month)].amount += cell.amount
    notes = annotations(scope)
    rows = []
    for (year, month), cell in sorted(totals.items()):
        month_notes = [n for d, ns in notes.items() if (d.year, d.month) == (year, month) for n in ns]
        rows.append(MonthRow(year, month, cell.gifts, cell.amount, f"{MONTHS[month]} {year}", notes=month_notes))
    return Months(rows, "gregorian")


def hijri_months(scope: Scope, days: dict[date, Cell] | None = None) -> Months:
    """Giving by Hijri month of the gift's local date; Sha'ban, Ramadan and Dhu al-Hijjah are marked."""
    totals: dict[tuple[int, int], Cell] = defaultdict(Cell)
    for day, cell in (daily_totals(scope) if days is None else days).items():
        found = hijri.to_hijri(day)
        totals[(found.year, found.month)].gifts += cell.gifts
        totals[(found.year, found.month)].amount += cell.amount
    notes = annotations(scope)
    rows = []
    for (year, month), cell in sorted(totals.items()):
        month_notes = [n for d, ns in notes.items() if hijri.to_hijri(d)[:2] == (year, month) for n in ns]
        label = f"{hijri.month_name(month)} {year}"
        rows.append(MonthRow(year, month, cell.gifts, cell.amount, label, month in hijri.MARKED_MONTHS, month_notes))
    return Months(rows, "hijri")


@dataclass
class RamadanRow:
    year: int
    first_days: int
    first_gifts: int
    first_amount: int
    last_days: int
    last_gifts: int
    last_amount: int

    @property
    def first_per_day(self) -> int:
        return self.first_amount // self.first_days if self.first_days else 0

    @property
    def last_per_day(self) -> int:
        return self.last_amount // self.last_days if self.last_days else 0


@dataclass
class Ramadan:
    rows: list[RamadanRow]

    def table(self) -> Table:
        rows = [
            [r.year, r.first_gifts, r.first_amount, r.first_per_day, r.last_gifts, r.last_amount, r.last_per_day]
            for r in self.rows
        ]
        headers = [
            _("Hijri year"), _("First twenty days: gifts"), _("First twenty days: amount"),
            _("First twenty days: amount per day"), _("Last ten nights: gifts"), _("Last ten nights: amount"),
            _("Last ten nights: amount per day"),
        ]  # fmt: skip
        return Table(headers, rows, {1, 2, 3, 4, 5, 6}, {2, 3, 5, 6})


def ramadan_nights(scope: Scope, days: dict[date, Cell] | None = None) -> Ramadan:
    """Days 1-20 of Ramadan against days 21 to the end (the last ten nights), per Hijri year, by local date."""
    years: dict[int, dict[str, Any]] = {}
    days_seen: dict[int, set[tuple[str, date]]] = defaultdict(set)
    for day, cell in (daily_totals(scope) if days is None else days).items():
        found = hijri.to_hijri(day)
        if found.month != hijri.RAMADAN:
            continue
        part = "first" if found.day <= 20 else "last"
        row = years.setdefault(found.year, {"first": Cell(), "last": Cell()})
        row[part].gifts += cell.gifts
        row[part].amount += cell.amount
        days_seen[found.year].add((part, day))
    rows = []
    for year, parts in sorted(years.items()):
        # Days of each part inside the range, whether or not anyone gave on them.
        first_days, last_days = _ramadan_days(year, scope)
        rows.append(
            RamadanRow(
                year, first_days, parts["first"].gifts, parts["first"].amount,
                last_days, parts["last"].gifts, parts["last"].amount,
            )
        )  # fmt: skip
    return Ramadan(rows)


def _ramadan_days(year: int, scope: Scope) -> tuple[int, int]:
    # Ramadan falls within about 355 days after 1 Muharram; walk from a Gregorian estimate.
    estimate = date(622, 7, 19) + timedelta(days=int((year - 1) * 354.367 + 236))
    first = last = 0
    for offset in range(-20, 50):
        day = estimate + timedelta(days=offset)
        found = hijri.to_hijri(day)
        if found.year != year or found.month != hijri.RAMADAN:
            continue
        if (scope.since and day < scope.since) or (scope.until and day > scope.until):
            continue
        if found.day <= 20:
            first += 1
        else:
            last += 1
    return first, last


@dataclass
class YearOverYear:
    years: list[int]
    amounts: dict[tuple[int, int], int]

    def table(self) -> Table:
        rows = [
            [hijri.month_name(month), *[self.amounts.get((year, month), 0) for year in self.years]]
            for month in range(1, 13)
        ]
        return Table(
            [_("Hijri month"), *[str(year) for year in self.years]],
            rows,
            set(range(1, len(self.years) + 1)),
            set(range(1, len(self.years) + 1)),
        )


def hijri_year_over_year(scope: Scope, days: dict[date, Cell] | None = None) -> YearOverYear:
    amounts: dict[tuple[int, int], int] = defaultdict(int)
    for day, cell in (daily_totals(scope) if days is None else days).items():
        found = hijri.to_hijri(day)
        amounts[(found.year, found.month)] += cell.amount
    return YearOverYear(sorted({year for year, _month in amounts}), dict(amounts))


# -- Gifts --------------------------------------------------------------------------------------------


@dataclass
class Sizes:
    buckets: list[tuple[int, int | None, int]]  # (from, to, gifts) in minor units
    gifts: int
    mean: int
    median: int

    def table(self) -> Table:
        rows = [[low, high if high is not None else "", count] for low, high, count in self.buckets]
        return Table([_("From"), _("Below"), _("Gifts")], rows, {0, 1, 2}, {0, 1})


def gift_sizes(scope: Scope, currency: str) -> Sizes:
    from donations.money import exponent

    edges = [edge * 10 ** exponent(currency) for edge in SIZE_BUCKETS]
    counts = summed(scope, SourceRollup, ("value",), Q(dimension="amount"), counts=("gifts",))
    histogram = sorted((int(value), gifts) for (value,), (gifts,) in counts.items() if gifts)
    gifts = sum(count for _amount, count in histogram)
    total = sum(amount * count for amount, count in histogram)
    buckets = []
    for index, low in enumerate(edges):
        high = edges[index + 1] if index + 1 < len(edges) else None
        count = sum(n for amount, n in histogram if amount >= low and (high is None or amount < high))
        buckets.append((low, high, count))
    return Sizes(buckets, gifts, total // gifts if gifts else 0, _median(histogram, gifts))


def _median(histogram: list[tuple[int, int]], total: int) -> int:
    """The median of a sorted (value, count) histogram; the mean of the two middle values for an even count."""
    if not total:
        return 0
    wanted = [(total - 1) // 2, total // 2]
    found, seen = [], 0
    for value, count in histogram:
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    return (found[0] + found[1]) // 2


@dataclass
class Split:
    rows: list[tuple[str, str, int, int]]  # key, label, gifts, amount
    title: str

    def table(self) -> Table:
        return Table(
            [self.title, _("Gifts"), _("Amount")], [[label, g, a] for _k, label, g, a in self.rows], {1, 2}, {2}
        )


def frequency_split(scope: Scope) -> Split:
    from donations.choices import Frequency

    labels = dict(Frequency.choices)
    rows = sorted(summed(scope, DailyRollup, ("frequency",)).items())
    return Split(
        [(value, str(labels.get(value, value)), gifts, amount) for (value,), (gifts, amount) in rows],
        _("Frequency"),
    )


def surface_split(scope: Scope) -> Split:
    from donations.choices import Surface

    labels = dict(Surface.choices)
    rows = sorted(summed(scope, DailyRollup, ("surface",)).items(), key=lambda item: (-item[1][1], item[0]))
    return Split(
        [(value, str(labels.get(value, value)), gifts, amount) for (value,), (gifts, amount) in rows],
        _("Channel"),
    )


DIMENSION_LABELS = {
    "utm_source": gettext_lazy("UTM source"),
    "utm_medium": gettext_lazy("UTM medium"),
    "utm_campaign": gettext_lazy("UTM campaign"),
    "referrer": gettext_lazy("Came from"),
    "device": gettext_lazy("Device"),
    "payment_method": gettext_lazy("Payment method"),
    "country": gettext_lazy("Country"),
}


def source_split(scope: Scope, dimension: str, *, limit: int = 25) -> Split:
    return source_splits(scope, [dimension], limit=limit)[dimension]


def source_splits(scope: Scope, dimensions: list[str], *, limit: int = 25) -> dict[str, Split]:
    """Gifts and amount per value of each source dimension (one query for all), the top ``limit`` and the rest."""
    from django_countries import countries

    grouped: dict[str, list[tuple[str, int, int]]] = {dimension: [] for dimension in dimensions}
    cells = summed(scope, SourceRollup, ("dimension", "value"), Q(dimension__in=dimensions))
    for (dimension, value), (gifts, amount) in sorted(cells.items(), key=lambda item: (-item[1][1], item[0][1])):
        grouped[dimension].append((value, gifts, amount))
    names = dict(countries)
    splits = {}
    for dimension, found in grouped.items():
        if dimension == "country":
            result = [(value, str(names.get(value, value)) if value else _("Unknown"), g, a) for value, g, a in found]
        else:
            result = [(value, value or _("(none)"), g, a) for value, g, a in found]
        if len(result) > limit:
            rest = result[limit:]
            result = [*result[:limit], ("", _("All others"), sum(r[2] for r in rest), sum(r[3] for r in rest))]
        splits[dimension] = Split(result, str(DIMENSION_LABELS[dimension]))
    return splits


@dataclass
class MrrRow:
    month: date
    mrr: int
    new: int
    expanded: int
    contracted: int
    churned: int
    donors: int


@dataclass
class Mrr:
    rows: list[MrrRow]

    def table(self) -> Table:
        rows = [
            [r.month.strftime("%Y-%m"), r.donors, r.mrr, r.new, r.expanded, r.contracted, r.churned] for r in self.rows
        ]
        headers = [_("Month"), _("Monthly donors"), _("MRR"), _("New"), _("Expanded"), _("Contracted"), _("Churned")]
        return Table(headers, rows, {1, 2, 3, 4, 5, 6}, {2, 3, 4, 5, 6})


def monthly_amounts(scope: Scope) -> dict[date, dict[int, int]]:
    """Paid monthly gifts: month -> recurring gift -> amount paid that month (summed in the database)."""
    by_month: dict[date, dict[int, int]] = defaultdict(dict)
    rows = (
        scope.facts(dates=False)
        .filter(recurring_gift_id__isnull=False)
        .annotate(month=TruncMonth("local_date"))
        .values_list("month", "recurring_gift_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for month, recurring, amount in rows.iterator(chunk_size=10000):
        month = month.date() if isinstance(month, datetime) else month
        by_month[month][recurring] = amount
    return by_month


def mrr(scope: Scope, by_month: dict[date, dict[int, int]] | None = None) -> Mrr:
    """Monthly recurring revenue from monthly gifts paid each month, and how it moved from the month before."""
    slice_ = donor_slice(scope)
    if by_month is None and slice_ is not None:
        return _mrr_from_rollup(scope, slice_)
    by_month = monthly_amounts(scope) if by_month is None else by_month
    if not by_month:
        return Mrr([])
    month, last = min(by_month), max(by_month)
    rows = []
    previous: dict[int, int] = {}
    while month <= last:
        current = by_month.get(month, {})
        new = sum(amount for rg, amount in current.items() if rg not in previous)
        churned = -sum(amount for rg, amount in previous.items() if rg not in current)
        changes = [current[rg] - previous[rg] for rg in current if rg in previous]
        row = MrrRow(
            month, sum(current.values()), new, sum(c for c in changes if c > 0), sum(c for c in changes if c < 0),
            churned, len(current),
        )  # fmt: skip
        in_range = (not scope.since or month >= month_key(scope.since)) and (not scope.until or month <= scope.until)
        if in_range:
            rows.append(row)
        previous = current
        month += relativedelta(months=1)
    return Mrr(rows)


@dataclass
class Cohorts:
    rows: list[tuple[date, int, list[int | None]]]  # start month, size, donors still giving in month k

    def table(self) -> Table:
        headers = [_("Started"), _("Monthly donors"), *[_("Month %(n)s") % {"n": k} for k in range(COHORT_MONTHS)]]
        rows = [
            [start.strftime("%Y-%m"), size, *[("" if v is None else f"{round(100 * v / size)}%") for v in kept]]
            for start, size, kept in self.rows
        ]
        return Table(headers, rows, set(range(1, COHORT_MONTHS + 2)))


def retention_cohorts(scope: Scope, by_month: dict[date, dict[int, int]] | None = None) -> Cohorts:
    """Monthly gifts grouped by the month of their first payment; the share still paying k months later."""
    slice_ = donor_slice(scope)
    if by_month is None and slice_ is not None:
        return _cohorts_from_rollup(scope, slice_)
    by_month = monthly_amounts(scope) if by_month is None else by_month
    starts: dict[int, date] = {}
    for month in sorted(by_month):
        for rg in by_month[month]:
            starts.setdefault(rg, month)
    latest = max(by_month) if by_month else None
    cohorts: dict[date, list[int]] = defaultdict(list)
    for rg, start in starts.items():
        cohorts[start].append(rg)
    rows = []
    for start in sorted(cohorts):
        if (scope.since and start < month_key(scope.since)) or (scope.until and start > scope.until):
            continue
        members = cohorts[start]
        kept: list[int | None] = []
        for k in range(COHORT_MONTHS):
            month = start + relativedelta(months=k)
            kept.append(None if month > latest else sum(1 for rg in members if rg in by_month.get(month, {})))
        rows.append((start, len(members), kept))
    return Cohorts(rows)


def _mrr_from_rollup(scope: Scope, slice_: tuple[str, str]) -> Mrr:
    """mrr() read from MrrRollup: every month from the first to the last with a monthly gift paid."""
    found = {
        row[0]: row[1:]
        for row in MrrRollup.objects.filter(slice=slice_[0], value=slice_[1]).values_list(
            "local_date", *MrrRollup.COUNTS
        )
    }
    paid = [month for month, counts in found.items() if counts[1]]
    if not paid:
        return Mrr([])
    month, last, rows = min(paid), max(paid), []
    while month <= last:
        total, donors_n, new, expanded, contracted, churned = found.get(month, (0, 0, 0, 0, 0, 0))
        in_range = (not scope.since or month >= month_key(scope.since)) and (not scope.until or month <= scope.until)
        if in_range:
            rows.append(MrrRow(month, total, new, expanded, contracted, churned, donors_n))
        month += relativedelta(months=1)
    return Mrr(rows)


def _cohorts_from_rollup(scope: Scope, slice_: tuple[str, str]) -> Cohorts:
    """retention_cohorts() read from CohortRollup (k = 0 is the cohort's size)."""
    kept: dict[date, dict[int, int]] = defaultdict(dict)
    for start, k, n in CohortRollup.objects.filter(slice=slice_[0], value=slice_[1], donors__gt=0).values_list(
        "local_date", "k", "donors"
    ):
        kept[start][k] = n
    latest = MrrRollup.objects.filter(slice=slice_[0], value=slice_[1], donors__gt=0).aggregate(m=Max("local_date"))[
        "m"
    ]
    rows = []
    for start in sorted(kept):
        if (scope.since and start < month_key(scope.since)) or (scope.until and start > scope.until):
            continue
        counts = [
            None if start + relativedelta(months=k) > latest else kept[start].get(k, 0) for k in range(COHORT_MONTHS)
        ]
        rows.append((start, kept[start].get(0, 0), counts))
    return Cohorts(rows)


@dataclass
class Donors:
    rows: list[tuple[date, int, int]]  # month, new donors, returning donors
    first_time: int
    converted: int
    lapsed: int

    @property
    def conversion(self) -> float:
        return self.converted / self.first_time if self.first_time else 0.0

    def table(self) -> Table:
        rows = [[month.strftime("%Y-%m"), new, returning] for month, new, returning in self.rows]
        return Table([_("Month"), _("New donors"), _("Returning donors")], rows, {1, 2})


def donors(scope: Scope, *, today: date | None = None) -> Donors:
    """New against returning donors per month, first-to-second-gift conversion, and lapsed donors.

    A donor is new in the month of their first gift ever (within the channel and designation chosen);
    converted when a second gift followed the first; lapsed when their latest gift is more than
    13 months before the end of the range (or today).
    """
    end = scope.until or today or date.today()
    cutoff = end - relativedelta(months=LAPSED_MONTHS)
    slice_ = donor_slice(scope)
    if slice_ is None:
        return _donors_from_facts(scope, cutoff)
    rows = DonorRollup.objects.filter(slice=slice_[0], value=slice_[1]).values_list(
        "local_date", "active", "first", "repeat", "latest"
    )
    new_in: dict[date, int] = defaultdict(int)
    active: dict[date, int] = defaultdict(int)
    first_time = converted = lapsed = 0
    for day, n_active, first, repeat, latest in rows:
        new_in[month_key(day)] += first
        active[day] += n_active
        if day < cutoff:
            lapsed += latest
        if (not scope.since or day >= scope.since) and (not scope.until or day <= scope.until):
            first_time += first
            converted += repeat
    months = sorted(
        month
        for month, n in active.items()
        if n and (not scope.since or month >= month_key(scope.since)) and (not scope.until or month <= scope.until)
    )
    # A month the range cuts: its donors within the range, from the facts of those days only.
    for edge in {month_key(scope.since) if scope.since and scope.since.day != 1 else None, _cut_month(scope.until)}:
        if edge in active:
            start, stop = max(edge, scope.since or edge), min(edge + relativedelta(months=1, days=-1), end)
            active[edge] = (
                scope.facts(dates=False)
                .filter(local_date__gte=start, local_date__lte=stop)
                .aggregate(n=Count("supporter_id", distinct=True))["n"]
            )
    found = [(month, min(new_in.get(month, 0), active[month])) for month in months if active[month]]
    return Donors([(month, new, active[month] - new) for month, new in found], first_time, converted, lapsed)


def donor_slice(scope: Scope) -> tuple[str, str] | None:
    """The DonorRollup slice of a scope; None when it filters on more than one of channel, page and fund."""
    chosen = [
        (k, str(v)) for k, v in (("surface", scope.surface), ("page", scope.page_id), ("fund", scope.fund_id)) if v
    ]
    if len(chosen) > 1:
        return None
    return chosen[0] if chosen else ("", "")


def _cut_month(until: date | None) -> date | None:
    """The month of ``until`` when the range ends before that month does."""
    if until is None or (until + timedelta(days=1)).day == 1:
        return None
    return month_key(until)


def _donors_from_facts(scope: Scope, cutoff: date) -> Donors:
    """donors() grouping the facts by donor: for scopes the rollup has no slice for."""
    from django.db import connection

    per_donor = (
        scope.facts(dates=False)
        .values("supporter_id")
        .annotate(first_day=Min("local_date"), last_day=Max("local_date"), gifts_n=Count("id"))
        .order_by()
    )
    inner, params = per_donor.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT first_day, COUNT(*), SUM(CASE WHEN gifts_n > 1 THEN 1 ELSE 0 END), "  # noqa: S608
            f"SUM(CASE WHEN last_day < %s THEN 1 ELSE 0 END) FROM ({inner}) AS per_donor GROUP BY first_day",
            [cutoff, *params],  # the cutoff's placeholder comes before the inner query's
        )
        by_first = [(_day(first), count, repeat, lapsed) for first, count, repeat, lapsed in cursor.fetchall()]
    new_in: dict[date, int] = defaultdict(int)
    first_time = converted = lapsed = 0
    for first, count, repeat, gone in by_first:
        new_in[month_key(first)] += count
        lapsed += gone
        if (not scope.since or first >= scope.since) and (not scope.until or first <= scope.until):
            first_time += count
            converted += repeat
    active = (
        scope.facts()
        .annotate(month=TruncMonth("local_date"))
        .values("month")
        .annotate(n=Count("supporter_id", distinct=True))
        .order_by("month")
    )
    rows = []
    for row in active:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        new = min(new_in.get(month, 0), row["n"])
        rows.append((month, new, row["n"] - new))
    return Donors(rows, first_time, converted, lapsed)


def _day(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


# -- People -------------------------------------------------------------------------------------------


@dataclass
class Groups:
    rows: list[tuple[str, int]]
    hidden: int

    def table(self) -> Table:
        return Table([_("Group"), _("People")], [[label, count] for label, count in self.rows], {1})


def k_anonymous(counts: list[tuple[str, int]], *, other_label: str, k: int = MIN_GROUP) -> Groups:
    """Groups of at least ``k`` as they are; smaller ones merged into one group, itself hidden if under ``k``."""
    shown = [(label, count) for label, count in counts if count >= k]
    small = sum(count for _label, count in counts if count < k)
    if small >= k:
        shown.append((other_label, small))
        small = 0
    return Groups(shown, small)


def consented_surveys() -> QuerySet:
    """Survey answers whose person's latest word on demographic questions is yes."""
    from donations.models import DonorSurvey
    from supporters.models import Consent

    latest = Consent.objects.filter(supporter=OuterRef("supporter"), topic=Consent.Topic.DEMOGRAPHICS).order_by(
        "-created_at", "-id"
    )
    return DonorSurvey.objects.annotate(consented=Subquery(latest.values("granted")[:1])).filter(consented=True)


def demographics(question: str) -> Groups:
    """People per answer to one survey question (age, gender or country), at least MIN_GROUP per group shown."""
    from django_countries import countries

    from donations.models import DonorSurvey

    labels: dict[str, str]
    if question == "age_band":
        labels = {key: str(label) for key, label in DonorSurvey.AgeBand.choices}
    elif question == "gender":
        labels = {key: str(label) for key, label in DonorSurvey.Gender.choices}
    else:
        labels = {key: str(name) for key, name in countries}
    # One answer per person: their latest survey.
    latest = consented_surveys().order_by("supporter_id", "-created_at", "-id")
    answers: dict[int, str] = {}
    for supporter_id, answer in latest.values_list("supporter_id", question):
        answers.setdefault(supporter_id, answer)
    counts: dict[str, int] = defaultdict(int)
    for answer in answers.values():
        if answer:
            counts[answer] += 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return k_anonymous(
        [(labels.get(key, key), count) for key, count in ordered], other_label=_("Other answers (merged)")
    )


@dataclass
class AdvocacyRow:
    label: str
    people: int
    gave_after: int
    median_days: float | None


@dataclass
class Advocacy:
    rows: list[AdvocacyRow]

    def table(self) -> Table:
        rows = [
            [r.label, r.people, r.gave_after, f"{round(100 * r.gave_after / r.people)}%" if r.people else "",
             "" if r.median_days is None else round(r.median_days, 1)]
            for r in self.rows
        ]  # fmt: skip
        headers = [_("Action"), _("People"), _("Gave afterwards"), _("Share"), _("Median days to first gift")]
        return Table(headers, rows, {1, 2, 3, 4})


def _moment(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite returns datetimes of raw queries as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def weighted_median(counts: dict[int, int]) -> float | None:
    """The median of values given as {value: how many}; the mean of the middle two for an even count."""
    total = sum(counts.values())
    if not total:
        return None
    wanted, found, seen = ((total - 1) // 2, total // 2), [], 0
    for value in sorted(counts):
        for index in wanted:
            if seen <= index < seen + counts[value]:
                found.append(value)
        seen += counts[value]
    return sum(found) / 2


def _advocacy_row(label: str, people: int, waits: dict[int, int]) -> AdvocacyRow:
    return AdvocacyRow(label, people, sum(waits.values()), weighted_median(waits))


def advocacy_grains(since: date | None, until: date | None) -> Q:
    """AdvocacyRollup rows covering first actions from ``since`` to ``until``: months where whole, days at the ends."""
    from donations.insights.models import AdvocacyRollup

    months, days = whole_months(since, until)
    found = Q(pk__in=[])
    if months is not None:
        found |= Q(grain=AdvocacyRollup.MONTH, **_bounds(*months))
    for low, high in days:
        found |= Q(grain=AdvocacyRollup.DAY, **_bounds(low, high))
    return found


def _bounds(low: date | None, high: date | None) -> dict[str, date]:
    found = {}
    if low is not None:
        found["local_date__gte"] = low
    if high is not None:
        found["local_date__lte"] = high
    return found


def advocacy(scope: Scope) -> Advocacy:
    """People whose first action (signed, marched) falls in the range, who of them gave after it, and how soon.

    From AdvocacyRollup: people from the whole-organisation slice, waits (whole days) from the
    scope's slice. A scope on more than one of channel, page and fund has no slice: it is computed
    from the gift facts (advocacy_from_facts).
    """
    from donations.insights.advocacy import sources
    from donations.insights.models import AdvocacyRollup

    slice_ = donor_slice(scope)
    if slice_ is None:
        return advocacy_from_facts(scope)
    rows = AdvocacyRollup.objects.filter(advocacy_grains(scope.since, scope.until))
    wanted = Q(slice="", value="") | Q(slice=slice_[0], value=slice_[1])
    people: dict[str, int] = defaultdict(int)
    waits: dict[str, dict[int, int]] = defaultdict(dict)
    for slice_name, source, days, n in (
        rows.filter(wanted)
        .values("slice", "source", "wait_days")
        .annotate(n=Sum("people"))
        .values_list("slice", "source", "wait_days", "n")
        .order_by()
    ):
        if slice_name == "":
            people[source] += n
        if slice_name == slice_[0] and days >= 0 and n:
            waits[source][days] = n
    return Advocacy(
        [_advocacy_row(str(source.label), people.get(source.key, 0), waits[source.key]) for source in sources()]
    )


def advocacy_from_facts(scope: Scope) -> Advocacy:
    """advocacy() straight from each source's actions and the gift facts: one query per source.

    The source's first action per person (those in the range), each joined to that person's first
    gift after it (a correlated subquery on the facts, within the channel, page and fund chosen).
    """
    from zoneinfo import ZoneInfo

    from django.db import connection

    from donations.insights.advocacy import first_date_bounds, sources, wait_days
    from donations.insights.services import organisation_reporting

    zone = ZoneInfo(organisation_reporting()[1])
    facts = connection.ops.quote_name(GiftFact._meta.db_table)
    conditions, params = ["f.supporter_id = a.supporter_id", "f.occurred_at > a.first", "f.converted"], []
    for column, value in (("surface", scope.surface), ("page_id", scope.page_id), ("fund_id", scope.fund_id)):
        if value:
            conditions.append(f"f.{column} = %s")
            params.append(value)
    where = " AND ".join(conditions)
    rows = []
    for source in sources():
        firsts = source.first_actions(supporter_ids=None).filter(**first_date_bounds(scope.since, scope.until, zone))
        inner, inner_params = firsts.query.sql_with_params()
        sql = (
            f"SELECT a.first, (SELECT MIN(f.occurred_at) FROM {facts} f WHERE {where}) AS gift_at "  # noqa: S608
            f"FROM ({inner}) a"
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({inner}) a", inner_params)  # noqa: S608
            people = cursor.fetchone()[0]
            cursor.execute(f"SELECT first, gift_at FROM ({sql}) b WHERE gift_at IS NOT NULL", [*params, *inner_params])  # noqa: S608
            waits: dict[int, int] = defaultdict(int)
            for first, gift_at in cursor.fetchall():
                waits[wait_days(_moment(first), _moment(gift_at))] += 1
        rows.append(_advocacy_row(str(source.label), people, waits))
    return Advocacy(rows)


# -- Rates ----------------------------------------------------------------------------------------------


@dataclass
class RatesUsed:
    reporting: str
    rates: list[tuple[ExchangeRate, int]]
    unconverted: dict[str, int]

    def sentence(self) -> str:
        if not self.rates:
            text = _("All figures are in %(currency)s; no conversion was needed.") % {"currency": self.reporting}
        else:
            used = "; ".join(
                ngettext("%(rate)s for %(gifts)s gift", "%(rate)s for %(gifts)s gifts", gifts)
                % {"rate": str(rate), "gifts": gifts}
                for rate, gifts in self.rates
            )
            text = _("All figures are in %(currency)s, converted with: %(rates)s.") % {
                "currency": self.reporting,
                "rates": used,
            }
        if self.unconverted:
            missing = ", ".join(f"{currency} ({count})" for currency, count in sorted(self.unconverted.items()))
            text += " " + _("Left out for want of a rate: %(missing)s.") % {"missing": missing}
        return text


def rates_used(scope: Scope, reporting: str) -> RatesUsed:
    used = {
        rate_id: n
        for (rate_id,), (n,) in summed(scope, DailyRollup, ("rate_id",), ~Q(rate_id=0), counts=("gifts",)).items()
        if n
    }
    rates = ExchangeRate.objects.in_bulk(list(used))
    unconverted = {
        currency: n
        for (currency,), (n,) in summed(
            scope, SourceRollup, ("value",), Q(dimension="unconverted"), counts=("gifts",)
        ).items()
        if n
    }
    return RatesUsed(
        reporting,
        sorted(((rates[pk], n) for pk, n in used.items() if pk in rates), key=lambda item: str(item[0])),
        unconverted,
    )
