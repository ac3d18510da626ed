"""The benchmark harness (bench/) runs end to end and produces figures.

Not a performance test: it runs ``python -m bench home`` very briefly in a
subprocess, against a throwaway SQLite database it migrates and fills
itself, and checks that every figure is there and every check held.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_home_benchmark_produces_figures(tmp_path: Path) -> None:
    env = dict(os.environ)
    # Self-contained: its own SQLite file and var/, the local-memory cache, eager Celery.
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "PAGE_CACHE_SECONDS", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    env["VAR_DIR"] = str(tmp_path / "var")
    results = tmp_path / "results"

    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "home",
            "--duration",
            "1",
            "--warmup",
            "1",
            "--concurrency",
            "4",
            "--workers",
            "2",
            "--threads",
            "2",
            "--strict",
            "--results-dir",
            str(results),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output

    # The table is printed, with the facts of the run above it.
    assert "database          sqlite" in completed.stdout
    assert "LocMemCache" in completed.stdout
    assert "ratio" in completed.stdout and "home /" in completed.stdout

    [saved] = results.glob("*-home.json")
    report = json.loads(saved.read_text())
    assert report["warnings"] == []
    rows = {(row["run"], row["endpoint"]): row for row in report["rows"]}
    assert set(rows) == {("cached", "bare"), ("cached", "home /"), ("uncached", "bare"), ("uncached", "home /")}
    for row in rows.values():
        assert row["requests"] > 0
        assert row["rps"] > 0
        assert row["errors"] == 0
        assert row["statuses"] == {"200": row["requests"]}
        assert 0 < row["p50_ms"] <= row["p99_ms"] <= row["max_ms"]
        assert row["server_cpu"] > 0
        assert row["baseline"] == "bare"
    for run in ("cached", "uncached"):
        bare, home = rows[(run, "bare")], rows[(run, "home /")]
        assert bare["path"] == "/bench/bare"
        assert bare["ratio"] == 1.0
        # Ratios are saved rounded to three decimals.
        assert home["ratio"] == pytest.approx(home["rps"] / bare["rps"], abs=0.0011)
        # The home page is a rendered page, not the bare view's few bytes.
        assert home["mean_bytes"] > 1000 > bare["mean_bytes"]

    cached, uncached = rows[("cached", "home /")], rows[("uncached", "home /")]
    assert cached["watched"] == {"hit": cached["requests"]}
    assert "hit" not in uncached["watched"]
    assert sum(uncached["watched"].values()) == uncached["requests"]
    passed = [check["message"] for check in report["checks"] if check["ok"]]
    assert any("home cached: X-Page-Cache: hit on all" in message for message in passed)
