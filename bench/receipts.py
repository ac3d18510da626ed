"""Receipt PDFs: how many one process renders per second of CPU (target: at least 10 per core).

In-process, no gunicorn: a child process (``python -m bench.receipts``, with
the session's environment) sets Django up, renders a few receipts to warm up
(templates, the stylesheet, the fonts), then renders N receipts one after
another, half in English and half in Arabic, each to PDF bytes exactly as
receipt_pdf_build does (the file write to storage is left out). It prints one
JSON line: the count, wall and CPU seconds, PDFs per second and per CPU-second.
The harness reads it; it never imports Django itself.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

NAME = "receipts"
TARGET_PER_CORE = 10.0
ROOT = Path(__file__).resolve().parent.parent


def run(ctx) -> None:
    """Receipt PDF rendering, in one process: PDFs per second per core."""
    count = max(20, int(ctx.load.duration * 10))
    command = [sys.executable, "-m", "bench.receipts", "--count", str(count)]
    completed = subprocess.run(
        command, cwd=ROOT, env=dict(ctx.env), capture_output=True, text=True, timeout=900, check=False
    )
    if completed.returncode != 0:
        from bench.harness import BenchError

        raise BenchError(f"bench.receipts failed ({completed.returncode}):\n{completed.stderr[-2000:]}")
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    per_core = figures["pdfs_per_cpu_second"]
    ctx.report.note(
        f"receipts: {figures['count']} PDFs (English and Arabic) in {figures['wall_seconds']:.2f} s wall, "
        f"{figures['cpu_seconds']:.2f} s CPU: {figures['pdfs_per_second']:.1f} PDFs/s in one process, "
        f"{per_core:.1f} per CPU-second, {figures['cpu_ms_per_pdf']:.1f} ms CPU per PDF, "
        f"{figures['mean_bytes'] / 1024:.0f} KiB each"
    )
    ctx.report.target(
        f"receipt PDFs >= {TARGET_PER_CORE:g} per second per core", per_core >= TARGET_PER_CORE, f"{per_core:.1f}/s"
    )


def _receipts() -> list[Any]:
    """Two receipts held in memory (nothing written): one English, one Arabic."""
    from django.utils import timezone

    from donations.models import Donation
    from donations.receipts.models import Receipt
    from supporters.models import Supporter

    made = []
    for language, name, number in (("en", "Huda Haddad", "2026-000123"), ("ar", "فاطمة الزهراء", "2026-000124")):
        supporter = Supporter(name=name, email="bench@example.org", language=language)
        donation = Donation(
            supporter=supporter,
            amount_minor=5000,
            currency="USD",
            gateway="sandbox",
            card_brand="visa",
            card_last4="4242",
            language=language,
        )
        made.append(
            Receipt(
                number=number,
                fiscal_year=2026,
                sequence=int(number[-6:]),
                donation=donation,
                verification_code="Bench-verification-code",
                amount_minor=5000,
                currency="USD",
                received_at=timezone.now(),
                language=language,
            )
        )
    return made


def measure(count: int, warmup: int = 6) -> dict[str, Any]:
    from donations.receipts.pdf import receipt_pdf_render

    receipts = _receipts()
    for index in range(warmup):
        receipt_pdf_render(receipts[index % 2])
    sizes = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for index in range(count):
        sizes += len(receipt_pdf_render(receipts[index % 2]))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "count": count,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "pdfs_per_second": count / wall,
        "pdfs_per_cpu_second": count / cpu,
        "cpu_ms_per_pdf": cpu * 1000 / count,
        "mean_bytes": sizes / count,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.receipts")
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args(argv)
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    sys.stdout.write(json.dumps(measure(args.count)) + "\n")


if __name__ == "__main__":
    main()
