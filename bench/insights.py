"""Insights at scale: every Insights page's p95 over 1M gifts and 2M signatures, against the same
figures computed from the raw rows, and the incremental fold of 10,000 new gifts.

Runs in-process against DATABASE_URL (no gunicorn; the pages are rendered by Django's test client
as a signed-in analyst, so the figure is the server's time without the network): ``python -m bench
insights`` starts ``python -m bench.insights --json`` with the session's settings; ``python -m
bench.insights`` alone prints the figures. Seeding is bench/seed_scale.py (PostgreSQL only).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

NAME = "insights"
PAGE_P95_TARGET_MS = 150.0
FOLD_TARGET_S = 5.0
NEW_GIFTS = 10_000
SECTIONS = ["when", "calendar", "gifts", "donors", "sources", "people"]

# The same figures straight from the gift rows (no rollups): one query per page, its heaviest.
RAW = {
    "when": "SELECT extract(isodow FROM created_at AT TIME ZONE %(tz)s), extract(hour FROM created_at AT TIME ZONE "
    "%(tz)s), count(*), sum(amount_minor - amount_refunded_minor) FROM donations_donation WHERE succeeded_at IS NOT "
    "NULL AND dispute_status <> 'lost' AND amount_refunded_minor < amount_minor GROUP BY 1, 2",
    "calendar": "SELECT (created_at AT TIME ZONE %(tz)s)::date, count(*), sum(amount_minor - amount_refunded_minor) "
    "FROM donations_donation WHERE succeeded_at IS NOT NULL AND amount_refunded_minor < amount_minor GROUP BY 1",
    "gifts": "SELECT count(*), avg(amount_minor - amount_refunded_minor), percentile_disc(0.5) WITHIN GROUP (ORDER "
    "BY amount_minor - amount_refunded_minor) FROM donations_donation WHERE succeeded_at IS NOT NULL",
    "donors": "SELECT count(*), sum((n > 1)::int) FROM (SELECT supporter_id, min(created_at), max(created_at), "
    "count(*) AS n FROM donations_donation WHERE succeeded_at IS NOT NULL GROUP BY supporter_id) d",
    "sources": "SELECT surface, utm_source, device_class, payment_method_type, address_country, count(*), "
    "sum(amount_minor - amount_refunded_minor) FROM donations_donation WHERE succeeded_at IS NOT NULL GROUP BY "
    "GROUPING SETS ((surface), (utm_source), (device_class), (payment_method_type), (address_country))",
    "people": "SELECT count(*), count(g) FROM (SELECT s.supporter_id, min(s.created_at) AS first FROM "
    "campaigns_signature s WHERE s.status = 'confirmed' AND s.supporter_id IS NOT NULL GROUP BY 1) a LEFT JOIN "
    "LATERAL (SELECT min(d.created_at) AS g FROM donations_donation d WHERE d.supporter_id = a.supporter_id AND "
    "d.created_at > a.first AND d.succeeded_at IS NOT NULL) g ON g.g IS NOT NULL",
}


def run(ctx) -> None:
    """Insights pages p95 over 1M gifts (and raw-rows baseline), incremental fold of 10,000 gifts."""
    from bench.harness import ROOT, BenchError

    command = [sys.executable, "-m", "bench.insights", "--json"]
    completed = subprocess.run(command, cwd=ROOT, env=dict(ctx.env), capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BenchError(
            f"bench.insights failed ({completed.returncode}):\n{completed.stdout[-2000:]}{completed.stderr[-2000:]}"
        )
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    if figures.get("skipped"):
        ctx.report.note(f"insights: skipped: {figures['skipped']}")
        return
    for line in describe(figures):
        ctx.report.note(line)
    worst = max(page["p95_ms"] for page in figures["pages"].values())
    worst_cold = max(page["cold_p95_ms"] for page in figures["pages"].values())
    ctx.report.target(
        "every Insights page under 150 ms p95",
        worst < PAGE_P95_TARGET_MS,
        f"worst p95 {worst:.0f} ms cached, {worst_cold:.0f} ms computed after a fold",
    )
    ctx.report.target(
        "incremental rollup of 10,000 new gifts under 5 s",
        figures["fold_s"] < FOLD_TARGET_S,
        f"{figures['fold_s']:.2f} s for {figures['folded']:,} gifts made in the last hour; "
        f"{figures['fold_spread_s']:.2f} s for as many back-dated over two years",
    )


def describe(figures: dict[str, Any]) -> list[str]:
    lines = [
        f"insights: {figures['gifts']:,} gifts, {figures['signatures']:,} signatures"
        + (f" (seeded in {figures['seed_s']:.0f} s)" if figures.get("seeded") else "")
        + (f"; rebuild {figures['rebuild_s']:.0f} s" if figures.get("rebuild_s") else ""),
    ]
    for section, page in figures["pages"].items():
        lines.append(
            f"insights: /admin/insights/{section}/ cached p50 {page['p50_ms']:.0f} ms, p95 {page['p95_ms']:.0f} ms; "
            f"computed (after a fold) p50 {page['cold_p50_ms']:.0f} ms, p95 {page['cold_p95_ms']:.0f} ms; "
            f"raw rows {page['raw_ms']:.0f} ms: {page['raw_ms'] / page['cold_p95_ms']:.2f}x the computed p95"
        )
    lines.append(
        f"insights: incremental fold of {figures['folded']:,} new gifts (made in the last hour) "
        f"{figures['fold_s']:.2f} s"
    )
    if "fold_spread_s" in figures:
        lines.append(
            f"insights: incremental fold of {figures['folded_spread']:,} gifts back-dated over two years "
            f"{figures['fold_spread_s']:.2f} s"
        )
    return lines


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _p95(times: list[float]) -> float:
    return times[min(len(times) - 1, int(len(times) * 0.95))]


def measure(samples: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    from donations.insights.services import organisation_reporting

    user, _created = get_user_model().objects.get_or_create(
        username="bench-analyst", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    _currency, time_zone = organisation_reporting()
    for section in SECTIONS:  # the site loaded, as a web worker is before it serves
        client.get(f"/admin/insights/{section}/")
    # As platform/gunicorn.conf.py's post_worker_init does once the worker has loaded the site.
    gc.collect()
    gc.freeze()
    pages = {}
    for section in SECTIONS:
        url = f"/admin/insights/{section}/"

        def get(url: str = url) -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")

        def cold(get: Any = get) -> None:
            cache.clear()  # as after a fold: the figures are computed again
            get()

        cold()  # unmeasured: the process's first render of the page (templates compiled, code paths warmed)
        cold_times = sorted(_timed(cold) for _n in range(max(3, samples // 2)))
        get()
        times = sorted(_timed(get) for _n in range(samples))

        def raw(section: str = section) -> None:
            with connection.cursor() as cursor:
                cursor.execute(RAW[section], {"tz": time_zone})
                cursor.fetchall()

        raw()
        raw_ms = statistics.median(_timed(raw) for _n in range(3))
        pages[section] = {
            "p50_ms": statistics.median(times),
            "p95_ms": _p95(times),
            "cold_p50_ms": statistics.median(cold_times),
            "cold_p95_ms": _p95(cold_times),
            "raw_ms": raw_ms,
        }
    return pages


def fold_new_gifts(count: int, *, spread: bool = False) -> tuple[int, float]:
    """Add ``count`` gifts made in the last hour (``spread``: back-dated over two years) and time their fold."""
    from django.db import connection, transaction

    from bench.seed_scale import MOMENT, RECENT, seed_gifts
    from donations.insights.services import insights_fold
    from donations.models import Donation

    insights_fold()  # nothing waiting
    with transaction.atomic(), connection.cursor() as cursor:
        have = Donation.objects.filter(gateway="sandbox", attempt_id__isnull=True).count()
        seed_gifts(cursor, target=have + count, first=have, moment=MOMENT if spread else RECENT)
    started = time.perf_counter()
    result = insights_fold()
    return result.changed, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    from bench.seed_scale import GIFTS, SIGNATURES

    parser = argparse.ArgumentParser(prog="python -m bench.insights")
    parser.add_argument("--json", action="store_true", help="print one line of JSON")
    parser.add_argument("--gifts", type=int, default=GIFTS)
    parser.add_argument("--signatures", type=int, default=SIGNATURES)
    parser.add_argument("--samples", type=int, default=20, help="requests per page (20)")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        figures: dict[str, Any] = {"skipped": "needs PostgreSQL (DATABASE_URL)"}
        print(json.dumps(figures))
        return
    from bench.seed_scale import seed
    from donations.insights.models import FoldState, GiftFact
    from donations.insights.services import insights_rebuild

    figures = seed(args.gifts, args.signatures)
    figures["seeded"] = figures["gifts_added"] + figures["signatures_added"]
    state = FoldState.objects.filter(pk=1).first()
    if figures["seeded"] or state is None or state.cursor is None or GiftFact.objects.count() < figures["gifts"] * 0.9:
        started = time.perf_counter()
        insights_rebuild()
        figures["rebuild_s"] = time.perf_counter() - started
    figures["pages"] = measure(args.samples)
    figures["folded"], figures["fold_s"] = fold_new_gifts(NEW_GIFTS)
    # The harder case: as many gifts spread over two years touch far more rollup cells and donors.
    figures["folded_spread"], figures["fold_spread_s"] = fold_new_gifts(NEW_GIFTS, spread=True)
    if args.json:
        print(json.dumps(figures))
    else:
        print("\n".join(describe(figures)))


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    main()
