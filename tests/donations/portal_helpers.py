"""Helpers for the portal tests: give through the sandbox as a browser does, then sign in by the emailed link."""

from __future__ import annotations

import re

from django.core import mail
from django.urls import reverse

from donations.models import Donation, RecurringGift
from tests.donations.conftest import card_form, gift_form

LINK = re.compile(r"https?://[^/\s]+(/(?:ar/)?account/sign-in/([A-Za-z0-9_-]+)/)")


def give(browser, page, *, email="huda@example.org", frequency="one_time", amount="5000", number="4242424242424242",
         expiry="12/39") -> Donation:  # fmt: skip
    browser.post("/donate/start/", gift_form(page.form_config(), frequency=frequency, amount=amount, email=email))
    donation = Donation.objects.order_by("-pk").first()
    browser.get(f"/donate/{donation.reference}/pay/")
    browser.post(f"/donate/{donation.reference}/pay/", {**card_form(number), "expiry": expiry})
    donation.refresh_from_db()
    return donation


def give_monthly(browser, page, **kwargs) -> RecurringGift:
    donation = give(browser, page, frequency="monthly", amount=kwargs.pop("amount", "2000"), **kwargs)
    return donation.recurring_gift


def sign_in(browser, email="huda@example.org", language_prefix="") -> None:
    """Ask for a link, read it from the email, press the button: the supporter's session in this client."""
    browser.post(f"{language_prefix}{reverse('supporters:sign_in')}", {"email": email, "website": ""})
    path = LINK.search(mail.outbox[-1].body).group(1)
    response = browser.post(path)
    assert response.status_code == 302, response


def request_id_from(body: str, action: str) -> str:
    """The hidden request id of the form posting to ``action`` on a page."""
    form = body[body.index(f'action="{action}"') :]
    return re.search(r'name="request_id" value="([0-9a-f-]{36})"', form).group(1)
