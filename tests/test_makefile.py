"""On a machine that lacks something, make says what and how to install it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make") or "/usr/bin/make"


def make(target: str, **variables: str) -> subprocess.CompletedProcess[str]:
    args = [MAKE, "--no-print-directory", target, *(f"{key}={value}" for key, value in variables.items())]
    # A PATH with nothing on it: no npm, no python3.
    return subprocess.run(args, cwd=ROOT, env={"PATH": "/nonexistent"}, capture_output=True, text=True, timeout=60)


def test_missing_npm_is_named_with_the_package_to_install():
    result = make("check-npm")
    assert result.returncode != 0
    assert "npm is missing" in result.stdout
    assert "apt-get install npm" in result.stdout


def test_missing_python_is_named():
    result = make("check-python", PYTHON="python3.11-not-installed")
    assert result.returncode != 0
    assert "Python 3.11 or newer is needed" in result.stdout
    assert "apt-get install python3 python3-venv" in result.stdout


def test_missing_chromium_is_named_with_a_way_round():
    result = make("check-chromium", CHROMIUM="/nonexistent/chromium")
    assert result.returncode != 0
    assert "apt-get install chromium" in result.stdout
    assert "make test-fast" in result.stdout


def test_present_tools_pass(tmp_path):
    result = subprocess.run(
        [MAKE, "--no-print-directory", "check-npm", "check-chromium", f"CHROMIUM={shutil.which('true')}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
