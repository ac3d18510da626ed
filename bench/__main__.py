"""``python -m bench`` (``make bench``): run the benchmarks and print their figures.

Examples::

    python -m bench                        # every benchmark, 10 s per measurement
    python -m bench home --quick           # 2 s per measurement
    python -m bench webhooks donations     # the Stripe webhook ingest and the donation start
    python -m bench --list
    DATABASE_URL=postgres://... REDIS_URL=redis://... python -m bench

Exit status: 0 when the figures were produced (warnings included, unless
``--strict``), 1 when a check failed under ``--strict`` or the harness could
not run, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from bench import counts, donate, home, ledger, petitions, receipts, webhooks
from bench.harness import (
    RESULTS_DIR,
    BenchContext,
    BenchError,
    LoadOptions,
    ServerOptions,
    default_workers,
    open_session,
)

# name -> run(ctx). A new benchmark is a module with a run() function, added here.
BENCHMARKS: dict[str, Callable[[BenchContext], None]] = {
    home.NAME: home.run,
    webhooks.NAME: webhooks.run,
    donate.NAME: donate.run,
    receipts.NAME: receipts.run,
    ledger.NAME: ledger.run,
    petitions.NAME: petitions.run,
    counts.NAME: counts.run,
}

QUICK_DURATION = 2.0
QUICK_WARMUP = 1.0


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Start gunicorn on loopback against the configured database and measure it.",
        epilog="DATABASE_URL and REDIS_URL are passed to the server unchanged; see docs/benchmarks.md.",
    )
    parser.add_argument(
        "benchmarks",
        nargs="*",
        metavar="BENCHMARK",
        help=f"which to run (default: all): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--duration", type=_positive_float, default=10.0, help="seconds measured per endpoint (10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured warm-up per endpoint (2)")
    parser.add_argument("--concurrency", type=_positive_int, default=32, help="client connections (32)")
    parser.add_argument(
        "--workers",
        type=_positive_int,
        default=default_workers(),
        help=f"gunicorn workers (default: usable cores + 1 = {default_workers()})",
    )
    parser.add_argument("--threads", type=_positive_int, default=4, help="threads per gunicorn worker (4)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_DURATION:g} s measured, {QUICK_WARMUP:g} s warm-up (overrides --duration and --warmup)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if any check failed (errors, cache misses)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where the JSON goes (bench/results)")
    parser.add_argument("--no-save", action="store_true", help="do not write the JSON results")
    args = parser.parse_args(argv)
    unknown = [name for name in args.benchmarks if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    if args.warmup < 0:
        parser.error("--warmup must be 0 or more")
    if args.quick:
        args.duration, args.warmup = QUICK_DURATION, QUICK_WARMUP
    return args


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    # Unwind like Ctrl-C, so every server is stopped by its with block.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name, run in BENCHMARKS.items():
            print(f"{name:<12}{(run.__doc__ or '').strip().splitlines()[0]}")
        return 0
    selected = args.benchmarks or list(BENCHMARKS)
    load = LoadOptions(duration=args.duration, warmup=args.warmup, concurrency=args.concurrency)
    server_options = ServerOptions(workers=args.workers, threads=args.threads)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        # Only the receipts benchmark reads the demo's gifts (their receipts).
        with open_session(load, server_options, demo_gifts=receipts.NAME in selected) as ctx:
            print(ctx.report.header(), flush=True)
            for name in selected:
                BENCHMARKS[name](ctx)
            print()
            print(ctx.report.summary())
            if not args.no_save:
                path = ctx.report.save(args.results_dir, "-".join(selected))
                print(f"\nresults saved to {path}")
            warnings = ctx.report.warnings
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped", file=sys.stderr)
        return 130
    return 1 if args.strict and warnings else 0


if __name__ == "__main__":
    sys.exit(main())
