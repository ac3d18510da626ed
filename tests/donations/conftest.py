"""Fixtures for gifts: a donate page, and posting its form as a browser would."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from donations.formconfig import DonationFormConfig
from donations.models import Fund
from donations.pages import DonatePage
from tests.conftest import publish

FORM = {
    "heading": "Give today",
    "intro": "",
    "currencies": ["USD", "JOD", "JPY"],
    "default_currency": "USD",
    "presets": [
        {"currency": "USD", "one_time": "25, 50, 100", "monthly": "10, 20, 50"},
        {"currency": "JOD", "one_time": "20, 35, 70", "monthly": "5, 10, 25"},
        {"currency": "JPY", "one_time": "3000, 5000", "monthly": "1000, 2000"},
    ],
    "frequencies": ["one_time", "monthly"],
    "default_frequency": "one_time",
    "fund": None,
    "monthly_upsell": False,
    "ask_demographics": True,
}


@pytest.fixture
def donate_page(site_tree) -> DonatePage:
    page = DonatePage(title="Give", slug="give", intro="Every gift counts.", form=[("donate", FORM)])
    site_tree.home.add_child(instance=page)
    return publish(page)


@pytest.fixture
def upsell_page(site_tree) -> DonatePage:
    page = DonatePage(title="Give more", slug="give-more", form=[("donate", {**FORM, "monthly_upsell": True})])
    site_tree.home.add_child(instance=page)
    return publish(page)


@pytest.fixture
def zakat_fund(db) -> Fund:
    return Fund.objects.create(name="Zakat fund", name_ar="صندوق الزكاة", zakat_eligible=True)


def gift_form(config: DonationFormConfig, **overrides: Any) -> dict[str, Any]:
    """The POST a browser sends for this form (the amount as a preset, in minor units)."""
    data = {
        "config_token": config.sign(),
        "attempt_id": str(uuid.uuid4()),
        "currency": config.default_currency,
        "frequency": "one_time",
        "amount": "5000",
        "other_amount": "",
        "name": "Huda Haddad",
        "email": "huda@example.org",
        "tribute": "",
        "message": "",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def card_form(number: str = "4242424242424242") -> dict[str, str]:
    return {"number": number, "expiry": "12/39", "cvc": "123"}


class Browser:
    """A test client whose requests are each followed by the tasks they queued, as a worker would run them."""

    def __init__(self, client: Any, run_on_commit: Any) -> None:
        self.client = client
        self.run_on_commit = run_on_commit

    def get(self, *args: Any, **kwargs: Any) -> Any:
        with self.run_on_commit(execute=True):
            return self.client.get(*args, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> Any:
        with self.run_on_commit(execute=True):
            return self.client.post(*args, **kwargs)


@pytest.fixture
def browser(client, django_capture_on_commit_callbacks) -> Browser:
    return Browser(client, django_capture_on_commit_callbacks)
