"""The home page, cached and uncached, against the bare Django view.

The full-page cache (cms/page_cache.py) is configured at start-up by
PAGE_CACHE_SECONDS, so each configuration gets a server of its own, and the
bare view is measured against that same server just before the home page:
each ratio compares two numbers from one set of processes in one run.

Every response of the home page is checked for the ``X-Page-Cache`` header:
in the cached run all of them must say ``hit`` (a warm-up fills each
worker's cache first), in the uncached run none may.
"""

from __future__ import annotations

from bench.harness import BARE, BenchContext, Measurement
from bench.loadgen import Request

NAME = "home"
HOME = Request(method="GET", path="/", headers={"Accept": "text/html", "Accept-Language": "en"})
CACHE_HEADER = "X-Page-Cache"
# (run label, PAGE_CACHE_SECONDS)
CONFIGURATIONS = (("cached", 300), ("uncached", 0))


def _check_cache(ctx: BenchContext, run: str, page: Measurement) -> None:
    result = page.result
    responses = sum(result.watched.values())
    hits = result.watched.get("hit", 0)
    seen = ", ".join(f"{value or '(absent)'}: {count}" for value, count in result.watched.items()) or "no responses"
    if run == "cached":
        ctx.report.check(
            responses > 0 and hits == responses,
            f"home cached: only {hits} of {responses} responses were served from the page cache ({seen})",
            f"home cached: {CACHE_HEADER}: hit on all {responses} measured responses",
        )
    else:
        ctx.report.check(
            responses > 0 and hits == 0,
            f"home uncached: {hits} of {responses} responses came from the page cache ({seen})",
            f"home uncached: no {CACHE_HEADER}: hit among {responses} measured responses",
        )


def run(ctx: BenchContext) -> None:
    """The home page, cached and uncached, against the bare Django view (the framework floor)."""
    for label, seconds in CONFIGURATIONS:
        with ctx.server(f"home, {label}", PAGE_CACHE_SECONDS=str(seconds)) as server:
            bare = server.measure(BARE, ctx.load)
            page = server.measure(HOME, ctx.load, watch_header=CACHE_HEADER)
        ctx.report.add(NAME, label, "bare", bare, baseline=bare)
        ctx.report.add(NAME, label, "home /", page, baseline=bare)
        _check_cache(ctx, label, page)
