"""Insights' writes: the incremental fold of gifts into the rollups, the rebuild, and annotations.

The fold reads gifts changed since its cursor (with an overlap, so a gift whose
transaction committed late is still seen), computes what each now contributes
and applies only the difference to the rollups. A gift folded twice
contributes once; a refund subtracts. The fold state row is locked for the
whole fold, so two folds never interleave.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Model, Q
from django.utils import timezone

from donations.bulk import rows_insert
from donations.insights.advocacy import actions_fold, advocacy_after, advocacy_before, advocacy_gifts_changed
from donations.insights.models import (
    MONTHLY,
    AdvocacyFirst,
    AdvocacyRollup,
    CohortRollup,
    DailyRollup,
    DonorRollup,
    FoldState,
    GiftFact,
    HourlyRollup,
    MrrRollup,
    SourceRollup,
    SpikeAnnotation,
)
from donations.insights.rates import RateBook, convert_minor, rate_book

# Gifts whose change committed up to this long after their updated_at are still folded.
OVERLAP = timedelta(minutes=2)
PAGE = 10000
BATCH = 500
# Rows per additive upsert on SQLite (PostgreSQL takes them all at once, as arrays).
UPSERT_BATCH: dict[str, int] = {}

DONATION_FIELDS = (
    "id", "supporter_id", "recurring_gift_id", "created_at", "updated_at", "succeeded_at", "amount_minor",
    "amount_refunded_minor", "dispute_status", "currency", "surface", "frequency", "designation_page_id", "fund_id",
    "utm_source", "utm_medium", "utm_campaign", "referrer_class", "device_class", "payment_method_type",
    "address_country",
)  # fmt: skip
FACT_FIELDS = (
    "supporter_id", "recurring_gift_id", "occurred_at", "local_date", "local_hour", "weekday", "surface", "frequency",
    "page_id", "fund_id", "currency", "net_minor", "amount", "reporting_currency", "rate_id", "converted",
    "utm_source", "utm_medium", "utm_campaign", "referrer_class", "device_class", "payment_method_type", "country",
)  # fmt: skip
# What a fold writes of a fact: its figures and which version of the donation they came from.
WRITE_FIELDS = (*FACT_FIELDS, "source_updated_at")
# Source dimensions: rollup name -> GiftFact field.
DIMENSIONS = {
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "referrer": "referrer_class",
    "device": "device_class",
    "payment_method": "payment_method_type",
    "country": "country",
}
# The SourceRollup dimension counting gifts left out for want of a rate, per currency (amount always 0).
UNCONVERTED = "unconverted"


def organisation_reporting() -> tuple[str, str]:
    """The organisation's reporting currency and time zone (the default site's settings)."""
    from cms.models import OrganisationSettings

    found = (
        OrganisationSettings.objects.filter(site__is_default_site=True)
        .values_list("default_currency", "time_zone")
        .first()
    )
    return found or ("USD", settings.TIME_ZONE)


def gift_net_minor(row: dict[str, Any]) -> int:
    """What a paid gift is still worth in its own currency: less refunds; nothing once a dispute is lost."""
    if row["succeeded_at"] is None or row["dispute_status"] == "lost":
        return 0
    return row["amount_minor"] - row["amount_refunded_minor"]


def fact_values(row: dict[str, Any], *, book: RateBook, zone: ZoneInfo) -> dict[str, Any] | None:
    """The GiftFact a donation row makes now, or None if it contributes nothing."""
    net = gift_net_minor(row)
    if net <= 0:
        return None
    local = row["created_at"].astimezone(zone)
    day = local.date()
    rate_id, rate = book.find(row["currency"], day)
    return {
        "supporter_id": row["supporter_id"],
        "recurring_gift_id": row["recurring_gift_id"],
        "occurred_at": row["created_at"],
        "local_date": day,
        "local_hour": local.hour,
        "weekday": local.weekday(),
        "surface": row["surface"],
        "frequency": row["frequency"],
        "page_id": row["designation_page_id"] or 0,
        "fund_id": row["fund_id"] or 0,
        "currency": row["currency"],
        "net_minor": net,
        "amount": convert_minor(net, row["currency"], book.reporting, rate) if rate is not None else 0,
        "reporting_currency": book.reporting,
        "rate_id": rate_id,
        "converted": rate is not None,
        "utm_source": row["utm_source"][:100],
        "utm_medium": row["utm_medium"][:100],
        "utm_campaign": row["utm_campaign"][:100],
        "referrer_class": row["referrer_class"],
        "device_class": row["device_class"],
        "payment_method_type": row["payment_method_type"],
        "country": row["address_country"] or "",
    }


def _contribute(fact: dict[str, Any], sign: int, hourly: dict, sources: dict) -> None:
    scope = (fact["surface"], fact["frequency"], fact["page_id"], fact["fund_id"])
    if not fact["converted"]:
        # Left out of the figures, but counted per currency: every page says how many wait for a rate.
        sources[(fact["local_date"], *scope, UNCONVERTED, fact["currency"])][0] += sign
        return
    key = (fact["local_date"], fact["local_hour"], fact["weekday"], *scope, fact["rate_id"] or 0)
    hourly[key][0] += sign
    hourly[key][1] += sign * fact["amount"]
    for dimension, name in DIMENSIONS.items():
        cell = sources[(fact["local_date"], *scope, dimension, fact[name])]
        cell[0] += sign
        cell[1] += sign * fact["amount"]
    # The exact amounts given: the size distribution, the mean and the median, without reading every gift.
    cell = sources[(fact["local_date"], *scope, "amount", str(fact["amount"]))]
    cell[0] += sign
    cell[1] += sign * fact["amount"]


def _apply(model: type[Model], deltas: dict[tuple, list[int]], counts: tuple[str, ...] = ("gifts", "amount")) -> None:
    """Add ``deltas`` to the rollup rows (created when missing) in one statement per batch."""
    items = [(key, cell) for key, cell in deltas.items() if any(cell)]
    if not items:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key = [quote(model._meta.get_field(name).column) for name in model.KEY]
    columns = ", ".join([*key, *map(quote, counts)])
    adds = ", ".join(f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in counts)
    items.sort(key=lambda item: item[0])  # in key order: neighbouring index pages, fewer of them touched
    if connection.vendor == "postgresql":
        # One statement of one array per column: no parsing of thousands of VALUES rows.
        types = [model._meta.get_field(name).db_type(connection) for name in [*model.KEY, *counts]]
        arrays = [list(column) for column in zip(*[(*values, *cell) for values, cell in items], strict=True)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest("  # noqa: S608
                + ", ".join(f"%s::{kind}[]" for kind in types)
                + f") ON CONFLICT ({', '.join(key)}) DO UPDATE SET {adds}",
                arrays,
            )
        _drop_empty(model, items, counts)
        return
    row = "(" + ", ".join(["%s"] * (len(key) + len(counts))) + ")"
    size = UPSERT_BATCH.get(connection.vendor, BATCH)
    with connection.cursor() as cursor:
        for start in range(0, len(items), size):
            batch = items[start : start + size]
            params: list[Any] = []
            for values, cell in batch:
                params.extend([*values, *cell])
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(batch))} "  # noqa: S608
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {adds}",
                params,
            )
    _drop_empty(model, items, counts)


def by_day(hourly: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    """HourlyRollup cells (or deltas) summed over the hours: DailyRollup's."""
    daily: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for (day, _hour, _weekday, *scope), (gifts, amount) in hourly.items():
        cell = daily[(day, *scope)]
        cell[0] += gifts
        cell[1] += amount
    return daily


def by_month(cells: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    """Day-grain rollup cells (or deltas), local_date first in their key, summed per month: the month rollup's."""
    months: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for (day, *rest), (gifts, amount) in cells.items():
        cell = months[(day.replace(day=1), *rest)]
        cell[0] += gifts
        cell[1] += amount
    return months


def _apply_grains(model: type[Model], cells: dict[tuple, list[int]]) -> None:
    """Add day-grain deltas to ``model`` and their monthly sums to its month rollup."""
    _apply(model, cells)
    _apply(MONTHLY[model], by_month(cells))


def _drop_empty(model: type[Model], items: list[tuple[tuple, list[int]]], counts: tuple[str, ...]) -> None:
    # Only a subtraction can leave an empty row behind.
    at = model.KEY.index("local_date")
    days = {values[at] for values, cell in items if any(n < 0 for n in cell)}
    if days:
        model.objects.filter(local_date__in=days, **dict.fromkeys(counts, 0)).delete()


def _donor_slices(surface: str, page_id: int, fund_id: int) -> list[tuple[str, str]]:
    """The DonorRollup slices a gift belongs to: the whole organisation, its channel, page and fund."""
    found = [("", ""), ("surface", surface)]
    if page_id:
        found.append(("page", str(page_id)))
    if fund_id:
        found.append(("fund", str(fund_id)))
    return found


def slices_sql(alias: str) -> tuple[str, str]:
    """PostgreSQL: _donor_slices of the fact rows ``alias``, as a join giving ``v.slice`` and ``v.value`` and the
    condition that leaves out the page and fund slices of a gift with none."""
    join = (
        f"CROSS JOIN LATERAL (VALUES ('', ''), ('surface', {alias}.surface), ('page', {alias}.page_id::text), "
        f"('fund', {alias}.fund_id::text)) v(slice, value)"
    )
    return join, f"NOT (v.slice = 'page' AND {alias}.page_id = 0) AND NOT (v.slice = 'fund' AND {alias}.fund_id = 0)"


def upsert_dropping_emptied(table: str, upsert: str, params: dict[str, Any]) -> None:
    """PostgreSQL: run an additive upsert whose RETURNING gives each row it wrote as (id, now empty), and delete
    the rows it left empty (only a subtraction can)."""
    with connection.cursor() as cursor:
        cursor.execute(upsert, params)
        empty = [pk for pk, is_empty in cursor.fetchall() if is_empty]
        if empty:
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", [empty])  # noqa: S608


def _donor_cells(supporter_ids: set[int]) -> dict[tuple, list[int]]:
    """What these donors contribute to DonorRollup now, from their facts (one query)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            sql = _donor_cells_sql(GiftFact._meta.db_table, "AND f.supporter_id = ANY(%s)")
            cursor.execute(sql, [list(supporter_ids)])
            found: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
            for day, slice_, value, *counts in cursor.fetchall():
                found[(day, slice_, value)] = [int(n) for n in counts]
            return found
    profiles: dict[tuple, list[Any]] = {}  # (supporter, slice, value) -> [months, first, last, gifts]
    rows = GiftFact.objects.filter(converted=True, supporter_id__in=supporter_ids).values_list(
        "supporter_id", "local_date", "surface", "page_id", "fund_id"
    )
    for supporter_id, day, surface, page_id, fund_id in rows.iterator(chunk_size=10000):
        for slice_ in _donor_slices(surface, page_id, fund_id):
            profile = profiles.get((supporter_id, *slice_))
            if profile is None:
                profiles[(supporter_id, *slice_)] = [{day.replace(day=1)}, day, day, 1]
            else:
                profile[0].add(day.replace(day=1))
                profile[1], profile[2] = min(profile[1], day), max(profile[2], day)
                profile[3] += 1
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (_supporter, *slice_), (months, first, last, gifts) in profiles.items():
        for month in months:
            cells[(month, *slice_)][0] += 1
        cells[(first, *slice_)][1] += 1
        cells[(first, *slice_)][2] += 1 if gifts > 1 else 0
        cells[(last, *slice_)][3] += 1
    return cells


def _donor_fold(supporter_ids: set[int], before: dict[tuple, list[int]]) -> None:
    """Apply to DonorRollup the difference between these donors' profiles now and ``before``."""
    deltas = _donor_cells(supporter_ids)
    for key, cell in before.items():
        target = deltas[key]
        for index, n in enumerate(cell):
            target[index] -= n
    _apply(DonorRollup, deltas, DonorRollup.COUNTS)


def _donor_fold_sql(supporter_ids: set[int], changes: FactChanges) -> None:
    """PostgreSQL: apply to DonorRollup the difference each touched donor's profile made, before the fold's
    writes and after them, in one reading of their facts (the same cells as _donor_cells)."""
    table, facts = DonorRollup._meta.db_table, GiftFact._meta.db_table
    rows = changes.sql(facts, "WHERE f.supporter_id = ANY(%(donors)s::bigint[]) {converted}")
    counts = DonorRollup.COUNTS
    slices, sliced = slices_sql("r")
    upsert_dropping_emptied(
        table,
        f"""WITH r AS ({rows}), s AS (
                SELECT r.supporter_id, r.local_date, r.b, r.a, v.slice, v.value FROM r {slices} WHERE {sliced}
            ), p AS (
                SELECT slice, value,
                       min(local_date) FILTER (WHERE b) AS first_b, max(local_date) FILTER (WHERE b) AS last_b,
                       count(*) FILTER (WHERE b) AS n_b,
                       min(local_date) FILTER (WHERE a) AS first_a, max(local_date) FILTER (WHERE a) AS last_a,
                       count(*) FILTER (WHERE a) AS n_a
                FROM s GROUP BY supporter_id, slice, value
            ), m AS (
                SELECT date_trunc('month', local_date)::date AS day, slice, value,
                       bool_or(a)::int - bool_or(b)::int AS active
                FROM s GROUP BY supporter_id, slice, value, 1
            ), cells AS (
                SELECT first_a AS day, slice, value, 0 AS active, 1 AS first, (n_a > 1)::int AS repeat, 0 AS latest
                FROM p WHERE n_a > 0
                UNION ALL SELECT last_a, slice, value, 0, 0, 0, 1 FROM p WHERE n_a > 0
                UNION ALL SELECT first_b, slice, value, 0, -1, -(n_b > 1)::int, 0 FROM p WHERE n_b > 0
                UNION ALL SELECT last_b, slice, value, 0, 0, 0, -1 FROM p WHERE n_b > 0
                UNION ALL SELECT day, slice, value, active, 0, 0, 0 FROM m WHERE active <> 0
            )
            INSERT INTO {table} AS t (local_date, slice, value, {", ".join(counts)})
            SELECT day, slice, value, {", ".join(f"sum({name})" for name in counts)} FROM cells GROUP BY 1, 2, 3
            HAVING {" OR ".join(f"sum({name}) <> 0" for name in counts)} ORDER BY 1, 2, 3
            ON CONFLICT (local_date, slice, value) DO UPDATE SET
                {", ".join(f"{name} = t.{name} + EXCLUDED.{name}" for name in counts)}
            RETURNING id, {" AND ".join(f"t.{name} = 0" for name in counts)}""",  # noqa: S608
        {"donors": sorted(supporter_ids), **changes.params()},
    )


def _recurring_cells(recurring_ids: set[int] | None) -> tuple[dict[tuple, list[int]], dict[tuple, list[int]]]:
    """What these monthly gifts (None: all) contribute to MrrRollup and CohortRollup now, from their facts."""
    from donations.insights.selectors import COHORT_MONTHS

    facts = GiftFact.objects.filter(converted=True, recurring_gift_id__isnull=False)
    if recurring_ids is not None:
        facts = facts.filter(recurring_gift_id__in=recurring_ids)
    # (gift, slice, value) -> month -> amount; months as year * 12 + month - 1, so a month later is + 1.
    series: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rows = facts.values_list("recurring_gift_id", "local_date", "amount", "surface", "page_id", "fund_id")
    for recurring_id, day, amount, surface, page_id, fund_id in rows:
        month = day.year * 12 + day.month - 1
        for slice_ in _donor_slices(surface, page_id, fund_id):
            series[(recurring_id, *slice_)][month] += amount
    mrr: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    cohorts: dict[tuple, list[int]] = defaultdict(lambda: [0])
    first_days: dict[int, date] = {}

    def first_day(month: int) -> date:
        if month not in first_days:
            first_days[month] = date(month // 12, month % 12 + 1, 1)
        return first_days[month]

    for (_recurring, *slice_), paid in series.items():
        for month in sorted({*paid, *(month + 1 for month in paid)}):
            cell, before = mrr[(first_day(month), *slice_)], month - 1
            if month in paid:
                cell[0] += paid[month]
                cell[1] += 1
                if before in paid:
                    change = paid[month] - paid[before]
                    cell[3 if change > 0 else 4] += change
                else:
                    cell[2] += paid[month]
            elif before in paid:
                cell[5] -= paid[before]
        start = min(paid)
        for k in range(COHORT_MONTHS):
            if start + k in paid:
                cohorts[(first_day(start), *slice_, k)][0] += 1
    return mrr, cohorts


def _recurring_fold(recurring_ids: set[int], earlier: tuple[dict, dict]) -> None:
    """Apply to the MRR and cohort rollups the difference between these monthly gifts now and ``earlier``."""
    for model, now, before in zip((MrrRollup, CohortRollup), _recurring_cells(recurring_ids), earlier, strict=True):
        for key, cell in before.items():
            target = now[key]
            for index, n in enumerate(cell):
                target[index] -= n
        _apply(model, now, model.COUNTS)


@dataclass
class FactChanges:
    """What a fold changed in the facts, for the set-based donor and advocacy folds (PostgreSQL).

    ``donations``: the donations whose facts are new or changed (those facts count after the fold
    only); ``old``: the converted facts as they were before it, of changed and removed facts
    (counted before it only). Every other fact of a touched person counts both before and after.
    """

    donations: list[int]
    old: list[dict[str, Any]]

    COLUMNS = ("supporter_id", "occurred_at", "local_date", "surface", "page_id", "fund_id")
    TYPES = ("bigint", "timestamptz", "date", "text", "bigint", "bigint")

    def params(self) -> dict[str, Any]:
        found: dict[str, Any] = {"changed": self.donations}
        for name in self.COLUMNS:
            found[f"old_{name}"] = [fact[name] for fact in self.old]
        return found

    def sql(self, facts: str, join: str, *, carry: str = "") -> str:
        """Facts of touched people (``join`` on ``f``; ``{converted}`` in it becomes the converted-only filter)
        and the old facts (joined the same way), each flagged ``b`` (counted before the fold) and ``a`` (after
        it), with the ``carry`` columns of the join beside them."""
        columns = ", ".join([*([carry] if carry else []), *(f"f.{name}" for name in self.COLUMNS)])
        arrays = ", ".join(f"%(old_{name})s::{kind}[]" for name, kind in zip(self.COLUMNS, self.TYPES, strict=True))
        old = f"unnest({arrays}) f({', '.join(self.COLUMNS)})"
        return (
            f"SELECT {columns}, f.donation_id <> ALL(%(changed)s::bigint[]) AS b, true AS a "  # noqa: S608
            f"FROM {facts} f {join.format(converted='AND f.converted')} "
            f"UNION ALL SELECT {columns}, true, false FROM {old} {join.format(converted='')}"
        )


def _facts_of(donation_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The facts these donations made when last folded, by donation id."""
    names = ["id", "donation_id", *WRITE_FIELDS]
    if connection.vendor != "postgresql":
        return {fact["donation_id"]: fact for fact in GiftFact.objects.filter(donation_id__in=donation_ids).values()}
    columns = ", ".join(GiftFact._meta.get_field(name).column for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {GiftFact._meta.db_table} WHERE donation_id = ANY(%s)",  # noqa: S608
            [donation_ids],
        )
        return {row[1]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _fold_rows(rows: list[dict[str, Any]], *, book: RateBook, zone: ZoneInfo) -> int:
    """Fold donation rows; returns how many changed what they contribute."""
    old = _facts_of([row["id"] for row in rows])
    hourly: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    sources: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    create, update, delete, seen = [], [], [], []
    changes = FactChanges([], [])
    # Whose profile can change (the changed gifts' donors now and as last folded), each with the latest
    # moment of a changed gift (the advocacy rollup looks only at first actions before it).
    latest: dict[int, datetime] = {}
    recurring: set[int] = set()  # the same for monthly gifts
    for row in rows:
        new = fact_values(row, book=book, zone=zone)
        before = old.get(row["id"])
        if before is None and new is None:
            continue
        if new is not None:
            new["source_updated_at"] = row["updated_at"]
        if before is not None and new is not None and all(before[name] == new[name] for name in FACT_FIELDS):
            if before["source_updated_at"] != row["updated_at"]:
                seen.append(GiftFact(id=before["id"], source_updated_at=row["updated_at"]))
            continue
        if before is not None:
            _contribute(before, -1, hourly, sources)
            _latest(latest, before)
            recurring.add(before["recurring_gift_id"])
            if before["converted"]:
                changes.old.append(before)
        if new is not None:
            _contribute(new, 1, hourly, sources)
            _latest(latest, new)
            recurring.add(new["recurring_gift_id"])
            changes.donations.append(row["id"])
            if before is None:
                create.append({"donation_id": row["id"], **new})
            else:
                update.append(GiftFact(id=before["id"], donation_id=row["id"], **new))
        else:
            delete.append(before["id"])
    donors = set(latest)
    in_sql = connection.vendor == "postgresql"  # the donor and advocacy folds in one statement each, after the writes
    earlier = _donor_cells(donors) if donors and not in_sql else {}
    advocacy = advocacy_before(latest) if not in_sql else None
    recurring.discard(None)
    earlier_recurring = _recurring_cells(recurring) if recurring else ({}, {})
    if create:
        _facts_create(create)
    if update:
        GiftFact.objects.bulk_update(update, WRITE_FIELDS, batch_size=BATCH)
    if seen:  # changed, but not in what it contributes: not read again until it changes again
        GiftFact.objects.bulk_update(seen, ["source_updated_at"], batch_size=BATCH)
    if delete:
        GiftFact.objects.filter(id__in=delete).delete()
    _apply_grains(HourlyRollup, hourly)
    _apply_grains(DailyRollup, by_day(hourly))
    _apply_grains(SourceRollup, sources)
    if donors and in_sql:
        _donor_fold_sql(donors, changes)
        advocacy_gifts_changed(latest, changes)
    elif donors:
        _donor_fold(donors, earlier)
        advocacy_after(advocacy)
    if recurring:
        _recurring_fold(recurring, earlier_recurring)
    return len(create) + len(update) + len(delete)


def _latest(latest: dict[int, datetime], fact: dict[str, Any]) -> None:
    supporter_id, moment = fact["supporter_id"], fact["occurred_at"]
    if supporter_id not in latest or moment > latest[supporter_id]:
        latest[supporter_id] = moment


def _facts_create(create: list[dict[str, Any]]) -> None:
    """Write new facts: on PostgreSQL by COPY (Django's per-value preparation of a bulk_create was most of
    a fold's time)."""
    if connection.vendor != "postgresql":
        GiftFact.objects.bulk_create([GiftFact(**values) for values in create], batch_size=BATCH)
        return
    names = ("donation_id", *WRITE_FIELDS)
    rows_insert(GiftFact, names, [tuple(values[name] for name in names) for values in create])


def _state_locked() -> FoldState:
    FoldState.objects.get_or_create(pk=1)
    return FoldState.objects.select_for_update().get(pk=1)


@dataclass
class FoldResult:
    changed: int
    rebuilt: bool
    cursor: datetime | None


def _fold_query(queryset: Any, *, book: RateBook, zone: ZoneInfo, by_time: bool) -> tuple[int, datetime | None]:
    """Fold every donation of ``queryset`` page by page (keyset on updated_at, id or on id)."""
    changed, newest, last = 0, None, None
    order = ("updated_at", "id") if by_time else ("id",)
    while True:
        page = queryset.order_by(*order)
        if last is not None:
            page = (
                page.filter(Q(updated_at__gt=last[0]) | Q(updated_at=last[0], id__gt=last[1]))
                if by_time
                else page.filter(id__gt=last[1])
            )
        rows = list(page.values(*DONATION_FIELDS)[:PAGE])
        if not rows:
            return changed, newest
        changed += _fold_rows(rows, book=book, zone=zone)
        last = (rows[-1]["updated_at"], rows[-1]["id"])
        top = max(row["updated_at"] for row in rows)
        newest = top if newest is None else max(newest, top)


def _rebuilt() -> list[type[Model]]:
    """Every table a rebuild empties and fills again."""
    return [
        GiftFact, HourlyRollup, DailyRollup, SourceRollup, *MONTHLY.values(), DonorRollup, MrrRollup, CohortRollup,
        AdvocacyFirst, AdvocacyRollup,
    ]  # fmt: skip


def _changed_since(since: datetime) -> Any:
    """Donations updated since ``since``, less those already folded as they are now: the overlap with the
    last fold is read again for changes that committed late, not for what that fold saw."""
    from django.db.models import Exists, OuterRef

    from donations.models import Donation

    folded = GiftFact.objects.filter(donation_id=OuterRef("pk"), source_updated_at=OuterRef("updated_at"))
    return Donation.objects.filter(updated_at__gte=since).exclude(Exists(folded))


def insights_fold(*, rebuild: bool = False) -> FoldResult:
    """Fold gifts changed since the last fold (or everything, when asked or when the currency or time zone changed)."""
    from donations.models import Donation

    with transaction.atomic():
        state = _state_locked()
        started = timezone.now()
        reporting, time_zone = organisation_reporting()
        book, zone = rate_book(reporting), ZoneInfo(time_zone)
        rebuild = rebuild or state.reporting_currency != reporting or state.time_zone != time_zone
        if rebuild:
            # The advocacy tables are rebuilt from the actions after the gifts (so the gifts' fold has no
            # first actions to look at).
            for model in _rebuilt():
                model.objects.all().delete()
            state.cursor, state.actions_cursor, state.dirty_currencies = None, None, []
        since = state.cursor - OVERLAP if state.cursor else None
        if rebuild and connection.vendor == "postgresql":
            changed, newest = _rebuild_in_sql(reporting, time_zone)
        else:
            changes = _changed_since(since) if since else Donation.objects.all()
            changed, newest = _fold_query(changes, book=book, zone=zone, by_time=since is not None)
        for currency in state.dirty_currencies:
            more, _newest = _fold_query(Donation.objects.filter(currency=currency), book=book, zone=zone, by_time=False)
            changed += more
        # Signatures and march registrations (the advocacy rollup), after the gifts they are joined to.
        actions_since = state.actions_cursor - OVERLAP if state.actions_cursor else None
        changed += actions_fold(actions_since, zone)
        state.actions_cursor = started
        # Never ahead of the clock: a row stamped in the future (clock skew) must not hide later gifts.
        state.cursor = min(max(filter(None, [state.cursor, newest]), default=None) or started, started)
        state.reporting_currency, state.time_zone, state.dirty_currencies = reporting, time_zone, []
        state.folded_at = timezone.now()
        if rebuild:
            state.rebuilt_at = state.folded_at
        if changed or rebuild:
            state.version += 1
        state.save()
    return FoldResult(changed=changed, rebuilt=rebuild, cursor=state.cursor)


def _half_even(x: str) -> str:
    """SQL rounding of a non-negative numeric to an integer, half to even (as Decimal's ROUND_HALF_EVEN)."""
    return (
        f"(floor({x}) + CASE WHEN {x} - floor({x}) > 0.5 THEN 1 WHEN {x} - floor({x}) < 0.5 THEN 0 "
        f"ELSE mod(floor({x})::bigint, 2) END)::bigint"
    )


def _rebuild_in_sql(reporting: str, time_zone: str) -> tuple[int, datetime | None]:
    """PostgreSQL: every fact and rollup from the gifts in set-based statements, the same rules as fact_values."""
    from cms.currencies import SUPPORTED_CURRENCIES
    from donations.money import exponent

    exponents = " ".join(f"WHEN '{code}' THEN {exponent(code)}" for code in SUPPORTED_CURRENCIES)
    converted = _half_even(
        f"n.net * power(10::numeric, {exponent(reporting)} - (CASE d.currency {exponents} ELSE 2 END)) * r.rate"
    )
    facts = GiftFact._meta.db_table
    columns = ", ".join(["donation_id", *WRITE_FIELDS])
    statements = [
        f"""INSERT INTO {facts} ({columns})
        SELECT d.id, d.supporter_id, d.recurring_gift_id, d.created_at, l.local::date,
               extract(hour FROM l.local)::int, extract(isodow FROM l.local)::int - 1, d.surface, d.frequency,
               coalesce(d.designation_page_id, 0), coalesce(d.fund_id, 0), d.currency, n.net,
               CASE WHEN d.currency = %(rep)s THEN n.net WHEN r.id IS NULL THEN 0 ELSE {converted} END,
               %(rep)s, CASE WHEN d.currency = %(rep)s THEN NULL ELSE r.id END,
               d.currency = %(rep)s OR r.id IS NOT NULL,
               left(d.utm_source, 100), left(d.utm_medium, 100), left(d.utm_campaign, 100), d.referrer_class,
               d.device_class, d.payment_method_type, coalesce(d.address_country, ''), d.updated_at
        FROM donations_donation d
        CROSS JOIN LATERAL (SELECT d.created_at AT TIME ZONE %(tz)s AS local) l
        CROSS JOIN LATERAL (SELECT CASE WHEN d.dispute_status = 'lost' THEN 0
                                        ELSE d.amount_minor - d.amount_refunded_minor END AS net) n
        LEFT JOIN LATERAL (SELECT e.id, e.rate FROM donations_exchangerate e
                           WHERE e.currency = d.currency AND e.reporting_currency = %(rep)s
                             AND e.valid_from <= l.local::date ORDER BY e.valid_from DESC LIMIT 1) r
               ON d.currency <> %(rep)s
        WHERE d.succeeded_at IS NOT NULL AND n.net > 0""",  # noqa: S608
        f"""INSERT INTO {HourlyRollup._meta.db_table}
            (local_date, local_hour, weekday, surface, frequency, page_id, fund_id, rate_id, gifts, amount)
        SELECT local_date, local_hour, weekday, surface, frequency, page_id, fund_id, coalesce(rate_id, 0),
               count(*), sum(amount)
        FROM {facts} WHERE converted GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""",  # noqa: S608
        f"""INSERT INTO {DailyRollup._meta.db_table}
            (local_date, surface, frequency, page_id, fund_id, rate_id, gifts, amount)
        SELECT local_date, surface, frequency, page_id, fund_id, rate_id, sum(gifts), sum(amount)
        FROM {HourlyRollup._meta.db_table} GROUP BY 1, 2, 3, 4, 5, 6""",  # noqa: S608
    ]
    for dimension, name in [*DIMENSIONS.items(), ("amount", "amount::text")]:
        statements.append(
            f"""INSERT INTO {SourceRollup._meta.db_table}
                (local_date, surface, frequency, page_id, fund_id, dimension, value, gifts, amount)
            SELECT local_date, surface, frequency, page_id, fund_id, '{dimension}', {name}, count(*), sum(amount)
            FROM {facts} WHERE converted GROUP BY 1, 2, 3, 4, 5, 7"""  # noqa: S608
        )
    statements.append(
        f"""INSERT INTO {SourceRollup._meta.db_table}
            (local_date, surface, frequency, page_id, fund_id, dimension, value, gifts, amount)
        SELECT local_date, surface, frequency, page_id, fund_id, '{UNCONVERTED}', currency, count(*), 0
        FROM {facts} WHERE NOT converted GROUP BY 1, 2, 3, 4, 5, 7"""  # noqa: S608
    )
    for model, month_model in MONTHLY.items():
        keys = ", ".join(month_model._meta.get_field(name).column for name in month_model.KEY[1:])
        statements.append(
            f"""INSERT INTO {month_model._meta.db_table} (local_date, {keys}, gifts, amount)
            SELECT date_trunc('month', local_date)::date, {keys}, sum(gifts), sum(amount)
            FROM {model._meta.db_table} GROUP BY 1, {keys}"""  # noqa: S608
        )
    statements.append(_donor_rebuild_sql(facts))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, {"rep": reporting, "tz": time_zone})
        for model, cells in zip((MrrRollup, CohortRollup), _recurring_cells(None), strict=True):
            _apply(model, cells, model.COUNTS)
        cursor.execute(f"SELECT count(*) FROM {facts}")  # noqa: S608
        changed = cursor.fetchone()[0]
        cursor.execute("SELECT max(updated_at) FROM donations_donation")
        newest = cursor.fetchone()[0]
        cursor.execute(
            f"ANALYZE {facts}; ANALYZE {HourlyRollup._meta.db_table}; ANALYZE {DailyRollup._meta.db_table}; "
            f"ANALYZE {SourceRollup._meta.db_table}; "
            f"ANALYZE {DonorRollup._meta.db_table}; "
            + " ".join(f"ANALYZE {model._meta.db_table};" for model in MONTHLY.values())
        )
    return changed, newest


def _donor_cells_sql(facts: str, where: str = "") -> str:
    """PostgreSQL: DonorRollup's cells of the facts (those matching ``where``), the same as _donor_cells."""
    slices, sliced = slices_sql("f")
    return f"""WITH s AS (
            SELECT f.supporter_id, f.local_date, v.slice, v.value FROM {facts} f {slices}
            WHERE f.converted AND {sliced}
            {where}
        ), p AS (
            SELECT supporter_id, slice, value, min(local_date) AS first, max(local_date) AS last, count(*) AS n
            FROM s GROUP BY 1, 2, 3
        ), cells AS (
            SELECT first AS day, slice, value, 0 AS active, 1 AS first, (n > 1)::int AS repeat, 0 AS latest FROM p
            UNION ALL SELECT last, slice, value, 0, 0, 0, 1 FROM p
            UNION ALL SELECT date_trunc('month', local_date)::date, slice, value, count(DISTINCT supporter_id), 0, 0, 0
                FROM s GROUP BY 1, 2, 3
        )
        SELECT day, slice, value, sum(active), sum(first), sum(repeat), sum(latest) FROM cells GROUP BY 1, 2, 3"""  # noqa: S608


def _donor_rebuild_sql(facts: str) -> str:
    """DonorRollup from every fact, the same slices and counts as _donor_cells."""
    table = DonorRollup._meta.db_table
    return f"INSERT INTO {table} (local_date, slice, value, active, first, repeat, latest) {_donor_cells_sql(facts)}"


def insights_rebuild() -> FoldResult:
    """Recompute every fact and rollup from the gifts themselves."""
    result = insights_fold(rebuild=True)
    _vacuum_rewritten()
    return result


def _vacuum_rewritten() -> None:
    """PostgreSQL, outside a transaction: VACUUM the tables a rebuild rewrote, so the fold's reads of the
    facts are index-only at once rather than after autovacuum's next visit (or never, where it is off)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(model._meta.db_table for model in _rebuilt())}")


def rates_changed(*, currency: str) -> None:
    """A rate of ``currency`` was added, changed or removed: its gifts are folded again on the next fold."""
    with transaction.atomic():
        state = _state_locked()
        if currency not in state.dirty_currencies:
            state.dirty_currencies = [*state.dirty_currencies, currency]
            state.save(update_fields=["dirty_currencies"])


def figures_changed() -> None:
    """Something the pages show changed outside the fold (an annotation): their cached figures are stale."""
    FoldState.objects.get_or_create(pk=1)
    FoldState.objects.filter(pk=1).update(version=F("version") + 1)


def annotation_add(*, day: Any, note: str, user: Any) -> SpikeAnnotation:
    """A staff note on a day; the same note on the same day is kept once."""
    annotation, _created = SpikeAnnotation.objects.get_or_create(
        day=day, note=note.strip(), defaults={"created_by": user if getattr(user, "pk", None) else None}
    )
    return annotation
