"""Demo data for marches, below the demo campaign (only what is missing)."""

from __future__ import annotations

from typing import Any

from cms.demo import DemoReport


def load_demo(context: Any, report: DemoReport) -> None:
    """Called by campaigns.demo.load_demo with the campaign, its translation, the targets and locales."""
