"""Browser tests: Playwright driving Debian's Chromium against a live server.

Screenshots land in tests/e2e/screenshots/ (git-ignored) so a person can look.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def browser() -> Iterator[Browser]:
    # Per test, not per session: while Playwright's sync API runs, Django's
    # connection handler resolves to another connection object (a different
    # contextvars context), so a session-wide browser would hide the state
    # pytest-django keeps on the original connection between tests.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: on Debian, apt-get install chromium (see Makefile)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        yield browser
        browser.close()
        # Close the connections the test opened in Playwright's context.
        connections.close_all()


class Visitor:
    """One browser context, with the console and outside requests it saw."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.console: list[str] = []
        self.outside_requests: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        context.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1).*"), self._block_outside)

    def _block_outside(self, route: Any) -> None:
        # The site must work offline; nothing may reach a third party.
        self.outside_requests.append(route.request.url)
        route.abort()

    def go(self, path: str) -> Page:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        return self.page

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def serious_accessibility_violations(self) -> list[str]:
        """axe-core (from node_modules) on the current page: serious and critical violations."""
        self.page.evaluate(AXE.read_text())
        violations = self.page.evaluate(
            "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations"
        )
        return [
            f"{v['impact']}: {v['id']} – {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]

    def csp_violations(self) -> list[str]:
        return [line for line in self.console if "Content Security Policy" in line]


@pytest.fixture
def visitor(browser: Browser, live_server) -> Iterator[Visitor]:
    context = browser.new_context(**DESKTOP)
    yield Visitor(context, live_server.url)
    context.close()


@pytest.fixture
def phone_visitor(browser: Browser, live_server) -> Iterator[Visitor]:
    context = browser.new_context(**PHONE)
    yield Visitor(context, live_server.url)
    context.close()


@pytest.fixture
def phone_visitor_without_javascript(browser: Browser, live_server) -> Iterator[Visitor]:
    context = browser.new_context(**PHONE, java_script_enabled=False)
    yield Visitor(context, live_server.url)
    context.close()
