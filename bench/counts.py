"""The public count JSON and the march room's status JSON, served from the cache, against the bare view.

Both are what a viral campaign's visitors poll: ``/act/petitions/<id>/count.json``
(the petition page's number and the embeddable widget) and
``/api/v1/marches/<id>/status/`` (the march room refreshes its counters from it).
Neither may cost a query once the cache is warm; the figures to reach are
2,000 requests a second each with p99 under 50 ms. The bare view is measured
against the same server first, so each ratio compares two numbers of one run.

Every measured response must be a 200 carrying the same count the cache holds:
the harness checks the status codes, and the server is asked for one answer of
each afterwards and compared with what the counters say.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from typing import Any

from bench.harness import BARE, ROOT, BenchContext, BenchError, Measurement, _tail
from bench.loadgen import Request

NAME = "counts"
RUN = "cached"
TARGET_RPS = 2000.0
TARGET_P99_MS = 50.0


def _django(ctx: BenchContext, *args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.counts", *args],
        cwd=ROOT, env=dict(ctx.env), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        raise BenchError(f"bench.counts {' '.join(args)} failed ({completed.returncode}):\n"
                         f"{_tail(completed.stdout + completed.stderr)}")  # fmt: skip
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback, our own server)
        return json.loads(response.read())


def run(ctx: BenchContext) -> None:
    """count.json and the march status against the bare view, in one server."""
    site = _django(ctx, "prepare")
    count = Request(method="GET", path=site["count_path"], headers={"Accept": "application/json"})
    status = Request(method="GET", path=site["status_path"], headers={"Accept": "application/json"})
    with ctx.server("cached count JSON") as server:
        bare = server.measure(BARE, ctx.load)
        counted = server.measure(count, ctx.load)
        marched = server.measure(status, ctx.load)
        shared_cache = ctx.settings.get("cache") == "RedisCache"
        served_count = _get_json(server.url + site["count_path"])
        served_status = _get_json(server.url + site["status_path"])

    report = ctx.report
    report.add(NAME, RUN, "bare", bare, baseline=bare)
    report.add(NAME, RUN, "count.json", counted, baseline=bare)
    report.add(NAME, RUN, "march status", marched, baseline=bare)
    report.check(
        served_count.get("total") == site["petition_total"],
        f"{NAME}: count.json says {served_count.get('total')}, the counters {site['petition_total']}",
        f"{NAME}: count.json shows the counters' {site['petition_total']:,}",
    )
    report.check(
        served_status.get("totals") == site["march_totals"],
        f"{NAME}: the march status says {served_status.get('totals')}, the counters {site['march_totals']}",
        f"{NAME}: the march status shows the counters' totals {site['march_totals']}",
    )
    if not shared_cache:
        report.note(f"{NAME}: the cache is per process (no REDIS_URL); the issue's figures are for Redis")
    print(
        f"\ncached JSON: count.json {_line(counted, bare)}; march status {_line(marched, bare)}; "
        f"bare view {bare.result.rps:,.0f}/s",
        flush=True,
    )
    for label, measurement in (("count.json", counted), ("march status JSON", marched)):
        result = measurement.result
        report.target(
            f"{label} at least {TARGET_RPS:,.0f} requests/s with p99 under {TARGET_P99_MS:g} ms",
            result.errors == 0 and result.rps >= TARGET_RPS and result.p99_ms < TARGET_P99_MS,
            f"{result.rps:,.0f}/s, p99 {result.p99_ms:.1f} ms, {result.errors:,} errors "
            f"({_ratio(measurement, bare)} of the bare view's {bare.result.rps:,.0f}/s)",
        )


def _ratio(measurement: Measurement, baseline: Measurement) -> str:
    if baseline.result.rps <= 0:
        return "-"
    return f"{measurement.result.rps / baseline.result.rps:.2f}"


def _line(measurement: Measurement, bare: Measurement) -> str:
    result = measurement.result
    return (
        f"{result.rps:,.0f}/s, p50 {result.p50_ms:.1f} / p99 {result.p99_ms:.1f} ms, errors {result.errors:,}, "
        f"ratio to bare {_ratio(measurement, bare)}"
    )


# -- The Django side (python -m bench.counts prepare), in the server's environment ------------------------


def prepare() -> dict[str, Any]:
    """The benchmark petition and the demo march, their counters folded and in the cache."""
    from django.urls import reverse
    from django.utils import translation

    from bench.petitions import prepare as petition_prepare
    from campaigns.marches.models import VirtualMarchPage
    from campaigns.marches.selectors import march_counts
    from campaigns.marches.services import counters_fold
    from campaigns.petitions.selectors import petition_sign_summary

    petition = petition_prepare()
    march = VirtualMarchPage.objects.live().public().filter(locale__language_code="en").first()
    if march is None:
        raise SystemExit("no live march: load_demo makes one (python manage.py load_demo)")
    counters_fold(march_id=march.canonical().pk)
    summary = petition_sign_summary(page_id=petition["page_id"]) or {}
    with translation.override("en"):
        status_path = reverse("api:marches_status", kwargs={"pk": march.pk})
    return {
        "count_path": petition["count_path"],
        "petition_total": summary.get("total", 0),
        "status_path": status_path,
        "march_totals": march_counts(march_id=march.canonical().pk)["totals"],
    }


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.counts")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare")
    parser.parse_args(argv)

    import django

    django.setup()
    sys.stdout.write(json.dumps(prepare()) + "\n")


if __name__ == "__main__":
    main()
