"""Load and scale benchmarks: not tests, they print figures.

``python -m bench`` (or ``make bench``) starts gunicorn on loopback against the
configured database, drives it with the load generator in :mod:`bench.loadgen`
and prints requests per second, median and 99th-percentile latency, and each
endpoint's throughput as a ratio of a baseline measured in the same server run.

The reusable pieces live in :mod:`bench.harness`; each benchmark is a module
with a ``run(ctx)`` function (:mod:`bench.home`, :mod:`bench.webhooks`,
:mod:`bench.donate`) listed in ``bench.__main__.BENCHMARKS``. Operations of
several requests (a form to fetch, a redirect to follow) run in
:mod:`bench.flowgen`; the Django side of preparation and of the after-run
counts is :mod:`bench.dbtools`, run in a subprocess. docs/benchmarks.md
explains the figures.

This package has no models and is only routed (``/bench/``) when the setting
BENCH_ENDPOINTS is on, which production refuses.
"""
