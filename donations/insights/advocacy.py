"""Advocacy to giving: the actions other apps lend to Insights, and the rollup kept of them.

Donations may not import campaigns, so campaigns registers each source from its
AppConfig.ready(). A source answers two questions:

- ``first_actions(supporter_ids=None)``: a queryset of rows with ``supporter_id`` and
  ``first`` (a datetime), one per supporter: their first action ever (of everyone, or of
  these supporters);
- ``changed_since(moment)``: the ids of supporters whose actions may have changed since
  ``moment`` (new, confirmed or withdrawn).

The fold keeps ``AdvocacyFirst`` (each supporter's first action per source) and
``AdvocacyRollup`` (people per source, first-action day and month, gift slice and
whole days until their first gift after it) by the difference of what each touched supporter
contributes before and after: the gift fold passes the donors it touched, the action
fold the supporters a source says changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

_SOURCES: dict[str, AdvocacySource] = {}
# Supporters per query when reading their actions and gifts (SQLite allows 999 parameters).
CHUNK = {"postgresql": 20000}
CHUNK_DEFAULT = 900


@dataclass(frozen=True)
class AdvocacySource:
    key: str
    label: Any
    first_actions: Callable[..., Any]
    changed_since: Callable[[datetime], Iterable[int]]


def register_advocacy_source(
    key: str, label: Any, first_actions: Callable[..., Any], changed_since: Callable[[datetime], Iterable[int]]
) -> None:
    _SOURCES[key] = AdvocacySource(key, label, first_actions, changed_since)


def sources() -> list[AdvocacySource]:
    return list(_SOURCES.values())


def first_actions_of(queryset: Any, *, moment: str, supporter_ids: Iterable[int] | None = None) -> Any:
    """Helper for providers: the first ``moment`` per supporter of ``queryset`` (of these supporters only)."""
    from django.db.models import Min

    queryset = queryset.filter(supporter_id__isnull=False)
    if supporter_ids is not None:
        queryset = queryset.filter(supporter_id__in=list(supporter_ids))
    return queryset.values("supporter_id").annotate(first=Min(moment)).order_by()


def wait_days(first: datetime, gift_at: datetime) -> int:
    """Whole days from a first action to a gift after it."""
    return (gift_at - first).days


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    from django.db import connection

    ordered, size = sorted(ids), CHUNK.get(connection.vendor, CHUNK_DEFAULT)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _wait_sql(gift_at: str, first_at: str) -> str:
    """Whole days from a first action to a gift after it (as wait_days), NOT_SINCE for no gift."""
    from donations.insights.models import AdvocacyRollup

    return f"coalesce(floor(extract(epoch FROM {gift_at} - {first_at}) / 86400)::int, {AdvocacyRollup.NOT_SINCE})"


def _grains_sql(waits: str) -> str:
    """AdvocacyRollup cells (people summed) at day and month grain from rows of ``waits`` (source, first_date,
    slice, value, wait, people)."""
    from donations.insights.models import AdvocacyRollup

    day, month = AdvocacyRollup.DAY, AdvocacyRollup.MONTH
    return f"""SELECT '{day}' AS grain, slice, value, first_date AS local_date, source, wait AS wait_days,
               sum(people) AS people FROM {waits} GROUP BY 2, 3, 4, 5, 6
        UNION ALL
        SELECT '{month}', slice, value, date_trunc('month', first_date)::date, source, wait, sum(people) FROM {waits}
        GROUP BY 2, 3, 4, 5, 6"""  # noqa: S608


def cells_sql(firsts: str) -> str:
    """PostgreSQL: AdvocacyRollup's cells of the first actions ``firsts`` selects (source, supporter_id, first_at,
    first_date), as advocacy_cells computes them."""
    from donations.insights.models import GiftFact
    from donations.insights.services import slices_sql

    facts = GiftFact._meta.db_table
    slices, sliced = slices_sql("f")
    return f"""WITH a AS ({firsts}), w AS (
            SELECT a.source, a.first_date, coalesce(g.slice, '') AS slice, coalesce(g.value, '') AS value,
                   {_wait_sql("g.gift_at", "a.first_at")} AS wait, 1 AS people
            FROM a LEFT JOIN LATERAL (  -- per person, by index: their first gift after their first action, per slice
                SELECT v.slice, v.value, min(f.occurred_at) AS gift_at FROM {facts} f {slices}
                WHERE f.supporter_id = a.supporter_id AND f.converted AND f.occurred_at > a.first_at AND {sliced}
                GROUP BY 1, 2
            ) g ON true
        )
        {_grains_sql("w")}"""  # noqa: S608


def advocacy_cells(supporter_ids: Iterable[int]) -> dict[tuple, list[int]]:
    """What these supporters contribute to AdvocacyRollup now: their stored first actions and their gifts."""
    from donations.insights.models import AdvocacyFirst, AdvocacyRollup, GiftFact
    from donations.insights.services import _donor_slices

    cells: dict[tuple, list[int]] = defaultdict(lambda: [0])
    for chunk in _chunks(supporter_ids):
        firsts = defaultdict(list)
        for source, supporter_id, first_at, first_date in AdvocacyFirst.objects.filter(
            supporter_id__in=chunk
        ).values_list("source", "supporter_id", "first_at", "first_date"):
            firsts[supporter_id].append((source, first_at, first_date))
        if not firsts:
            continue
        gifts = defaultdict(list)
        for supporter_id, occurred_at, surface, page_id, fund_id in GiftFact.objects.filter(
            converted=True, supporter_id__in=list(firsts)
        ).values_list("supporter_id", "occurred_at", "surface", "page_id", "fund_id"):
            gifts[supporter_id].append((occurred_at, surface, page_id, fund_id))
        for supporter_id, actions in firsts.items():
            for source, first_at, first_date in actions:
                earliest: dict[tuple[str, str], datetime | None] = {}
                for occurred_at, surface, page_id, fund_id in gifts.get(supporter_id, ()):
                    if occurred_at <= first_at:
                        continue
                    for slice_ in _donor_slices(surface, page_id, fund_id):
                        if slice_ not in earliest or occurred_at < earliest[slice_]:
                            earliest[slice_] = occurred_at
                month = first_date.replace(day=1)
                if ("", "") not in earliest:
                    earliest[("", "")] = None
                for (slice_, value), gift_at in earliest.items():
                    wait = AdvocacyRollup.NOT_SINCE if gift_at is None else wait_days(first_at, gift_at)
                    cells[(AdvocacyRollup.DAY, slice_, value, first_date, source, wait)][0] += 1
                    cells[(AdvocacyRollup.MONTH, slice_, value, month, source, wait)][0] += 1
    return cells


def advocacy_affected(latest: dict[int, datetime]) -> set[int]:
    """Of donors whose gifts changed (the latest moment of a changed gift each), those whose advocacy can change.

    Only gifts after a person's first action count, so a donor with none of the changed gifts
    after their earliest first action (or with no action) contributes the same as before.
    """
    from django.db.models import Min

    from donations.insights.models import AdvocacyFirst

    found = set()
    for chunk in _chunks(latest):
        for supporter_id, first in (
            AdvocacyFirst.objects.filter(supporter_id__in=chunk)
            .values("supporter_id")
            .annotate(first=Min("first_at"))
            .values_list("supporter_id", "first")
            .order_by()
        ):
            if latest[supporter_id] > first:
                found.add(supporter_id)
    return found


def advocacy_apply(supporter_ids: set[int], before: dict[tuple, list[int]]) -> None:
    """Apply to AdvocacyRollup the difference between these supporters' contribution now and ``before``."""
    from donations.insights.models import AdvocacyRollup
    from donations.insights.services import _apply

    deltas = advocacy_cells(supporter_ids)
    for key, cell in before.items():
        deltas[key][0] -= cell[0]
    _apply(AdvocacyRollup, deltas, AdvocacyRollup.COUNTS)


# The first actions a change touches: each supporter with the latest moment of their changed gifts
# (None: any moment, their actions changed), on PostgreSQL as a join to these arrays.
_TOUCHED = (
    "SELECT a.source, a.supporter_id, a.first_at, a.first_date FROM {first} a "
    "JOIN unnest(%(ids)s::bigint[], %(latest)s::timestamptz[]) u(supporter_id, latest) "
    "ON u.supporter_id = a.supporter_id AND a.first_at < u.latest"
)
_BEFORE = "pg_temp.insights_advocacy_before"
_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass
class Pending:
    """What advocacy_before() saw, for advocacy_after() to subtract."""

    params: dict[str, Any]
    cells: dict[tuple, list[int]] | None = None  # SQLite; PostgreSQL keeps them in a temporary table
    supporter_ids: set[int] | None = None


def advocacy_before(changed: Mapping[int, datetime | None]) -> Pending | None:
    """Before a change: what the supporters it touches contribute now (see advocacy_after).

    ``changed`` maps each supporter to the latest moment of their changed gifts (only first
    actions before it can see the change), or to None when their actions changed.
    """
    from django.db import connection

    from donations.insights.models import AdvocacyFirst

    if not changed:
        return None
    ids = sorted(changed)
    params = {"ids": ids, "latest": [changed[pk] or _FOREVER for pk in ids]}
    if connection.vendor == "postgresql":
        touched = _TOUCHED.format(first=AdvocacyFirst._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_BEFORE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE insights_advocacy_before ON COMMIT DROP AS {cells_sql(touched)}", params
            )
        return Pending(params)
    later = {pk: moment for pk, moment in changed.items() if moment is not None}
    affected = advocacy_affected(later) | {pk for pk, moment in changed.items() if moment is None}
    return Pending(params, advocacy_cells(affected), affected)


def advocacy_after(pending: Pending | None) -> None:
    """After the change: apply to AdvocacyRollup what the same supporters contribute now, less what they did."""
    from django.db import connection

    from donations.insights.models import AdvocacyFirst, AdvocacyRollup

    if pending is None:
        return
    if pending.cells is not None:
        advocacy_apply(pending.supporter_ids or set(), pending.cells)
        return
    table, touched = AdvocacyRollup._meta.db_table, _TOUCHED.format(first=AdvocacyFirst._meta.db_table)
    key = "grain, slice, value, local_date, source, wait_days"
    same = " AND ".join(f"r.{column} = b.{column}" for column in key.split(", "))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} ({key}, people)
            SELECT {key}, sum(people) FROM (
                {cells_sql(touched)}
                UNION ALL SELECT {key}, -people FROM {_BEFORE}
            ) d GROUP BY {key} HAVING sum(people) <> 0 ORDER BY {key}
            ON CONFLICT ({key}) DO UPDATE SET people = {table}.people + EXCLUDED.people""",  # noqa: S608
            pending.params,
        )
        # Only a subtraction can leave an empty row behind: one of the cells there were before.
        cursor.execute(f"DELETE FROM {table} r USING {_BEFORE} b WHERE r.people = 0 AND {same}")  # noqa: S608
        cursor.execute(f"DROP TABLE {_BEFORE}")


def advocacy_gifts_changed(latest: Mapping[int, datetime], changes: Any) -> None:
    """PostgreSQL, after the gift fold's writes: apply to AdvocacyRollup the difference its changed facts
    (``changes``, a services.FactChanges) made to the first gift after each touched first action, in one
    reading of those people's facts (the same cells as cells_sql). ``latest``: each touched donor and the
    latest moment of their changed gifts (only first actions before it can see a change)."""
    from donations.insights.models import AdvocacyFirst, AdvocacyRollup, GiftFact
    from donations.insights.services import slices_sql, upsert_dropping_emptied

    if not latest:
        return
    ids = sorted(latest)
    table, key = AdvocacyRollup._meta.db_table, ", ".join(AdvocacyRollup.KEY)
    touched = _TOUCHED.format(first=AdvocacyFirst._meta.db_table)
    # Each touched first action's facts after it, flagged before and after the fold.
    join = "JOIN x ON x.supporter_id = f.supporter_id AND f.occurred_at > x.first_at {converted}"
    rows = changes.sql(GiftFact._meta.db_table, join, carry="x.source, x.first_at, x.first_date")
    slices, sliced = slices_sql("r")
    upsert_dropping_emptied(
        table,
        f"""WITH x AS MATERIALIZED ({touched}), r AS ({rows}), g AS (
                SELECT r.source, r.supporter_id, r.first_at, r.first_date, v.slice, v.value,
                       min(r.occurred_at) FILTER (WHERE r.b) AS gift_b, min(r.occurred_at) FILTER (WHERE r.a) AS gift_a
                FROM r {slices} WHERE {sliced}
                GROUP BY 1, 2, 3, 4, 5, 6
            ), w AS (
                SELECT source, first_date, slice, value, {_wait_sql("gift_a", "first_at")} AS wait, 1 AS people
                FROM g WHERE gift_a IS NOT NULL OR slice = ''
                UNION ALL
                SELECT source, first_date, slice, value, {_wait_sql("gift_b", "first_at")}, -1
                FROM g WHERE gift_b IS NOT NULL OR slice = ''
            )
            INSERT INTO {table} AS t ({key}, people)
            SELECT {key}, people FROM ({_grains_sql("w")}) d WHERE people <> 0 ORDER BY {key}
            ON CONFLICT ({key}) DO UPDATE SET people = t.people + EXCLUDED.people
            RETURNING id, t.people = 0""",  # noqa: S608
        {"ids": ids, "latest": [latest[pk] for pk in ids], **changes.params()},
    )


def _firsts_now(source: AdvocacySource, supporter_ids: list[int] | None) -> dict[int, datetime]:
    if supporter_ids is None:
        rows = source.first_actions(supporter_ids=None).values_list("supporter_id", "first")
        return dict(rows.iterator(chunk_size=20000))
    found: dict[int, datetime] = {}
    for chunk in _chunks(supporter_ids):
        found.update(source.first_actions(supporter_ids=chunk).values_list("supporter_id", "first"))
    return found


def _firsts_store(source: str, firsts: dict[int, datetime], zone: ZoneInfo, *, replace: Iterable[int]) -> None:
    """Replace the stored first actions of ``replace`` (for this source) by ``firsts``."""
    from donations.insights.models import AdvocacyFirst

    for chunk in _chunks(replace):
        AdvocacyFirst.objects.filter(source=source, supporter_id__in=chunk).delete()
    rows = [
        AdvocacyFirst(
            source=source, supporter_id=supporter_id, first_at=first, first_date=first.astimezone(zone).date()
        )
        for supporter_id, first in firsts.items()
    ]
    AdvocacyFirst.objects.bulk_create(rows, batch_size=5000)


def actions_fold(since: datetime | None, zone: ZoneInfo) -> int:
    """Fold the actions changed since ``since`` (everything when None); returns how many first actions changed.

    Called by insights_fold under the fold state's lock, after the gifts were folded.
    """
    from django.db import connection

    from donations.insights.models import AdvocacyFirst, AdvocacyRollup

    if since is None:
        AdvocacyFirst.objects.all().delete()
        AdvocacyRollup.objects.all().delete()
        if connection.vendor == "postgresql":
            return _rebuild_in_sql(zone)
        everyone: set[int] = set()
        for source in sources():
            firsts = _firsts_now(source, None)
            _firsts_store(source.key, firsts, zone, replace=())
            everyone.update(firsts)
        advocacy_apply(everyone, {})
        return len(everyone)
    moved: dict[str, tuple[list[int], dict[int, datetime]]] = {}
    for source in sources():
        ids = sorted({pk for pk in source.changed_since(since) if pk is not None})
        if not ids:
            continue
        stored: dict[int, datetime] = {}
        for chunk in _chunks(ids):
            stored.update(
                AdvocacyFirst.objects.filter(source=source.key, supporter_id__in=chunk).values_list(
                    "supporter_id", "first_at"
                )
            )
        now = _firsts_now(source, ids)
        differ = [pk for pk in ids if stored.get(pk) != now.get(pk)]
        if differ:
            moved[source.key] = (differ, {pk: now[pk] for pk in differ if pk in now})
    touched = {pk for differ, _now in moved.values() for pk in differ}
    if not touched:
        return 0
    pending = advocacy_before(dict.fromkeys(touched))
    for key, (differ, now) in moved.items():
        _firsts_store(key, now, zone, replace=differ)
    advocacy_after(pending)
    return sum(len(differ) for differ, _now in moved.values())


def _rebuild_in_sql(zone: ZoneInfo) -> int:
    """PostgreSQL: every first action and AdvocacyRollup cell in set-based statements, as the fold computes them."""
    from django.db import connection

    from donations.insights.models import AdvocacyFirst, AdvocacyRollup

    first, rollup = AdvocacyFirst._meta.db_table, AdvocacyRollup._meta.db_table
    with connection.cursor() as cursor:
        for source in sources():
            inner, params = source.first_actions(supporter_ids=None).query.sql_with_params()
            cursor.execute(
                f"INSERT INTO {first} (source, supporter_id, first_at, first_date) "  # noqa: S608
                f"SELECT %s, a.supporter_id, a.first, (a.first AT TIME ZONE %s)::date FROM ({inner}) a",
                [source.key, str(zone), *params],
            )
        cursor.execute(f"ANALYZE {first}")
        columns = "grain, slice, value, local_date, source, wait_days, people"
        everyone = f"SELECT source, supporter_id, first_at, first_date FROM {first}"  # noqa: S608
        cursor.execute(f"INSERT INTO {rollup} ({columns}) {cells_sql(everyone)}")
        cursor.execute(f"ANALYZE {rollup}")
        cursor.execute(f"SELECT count(*) FROM {first}")  # noqa: S608
        return cursor.fetchone()[0]


def first_date_bounds(since: date | None, until: date | None, zone: ZoneInfo) -> dict[str, datetime]:
    """The moments a range of local dates spans: first__gte / first__lt filters on a first-actions queryset."""
    from datetime import time, timedelta

    bounds = {}
    if since:
        bounds["first__gte"] = datetime.combine(since, time.min, tzinfo=zone)
    if until:
        bounds["first__lt"] = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    return bounds
