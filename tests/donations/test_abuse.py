"""Card testing and races: velocity limits, and concurrent copies of one submission."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from donations.models import Donation, WebhookEvent
from tests.donations.conftest import card_form, gift_form

DECLINED = "4000000000000002"


def attempt(browser, page, *, ip: str, email: str, card: str = DECLINED) -> str:
    """One try at giving: the form, then a card. Says how far it got."""
    response = browser.post("/donate/start/", gift_form(page.form_config(), email=email), REMOTE_ADDR=ip)
    if response.status_code != 302:
        return "blocked at the form" if "paused card payments" in response.content.decode() else "form error"
    pay_url = response["Location"]
    response = browser.get(pay_url, REMOTE_ADDR=ip)
    if response.status_code == 429:
        return "blocked at payment"
    response = browser.post(pay_url, card_form(card), REMOTE_ADDR=ip)
    return "declined" if response.status_code == 200 else "paid"


@pytest.mark.django_db
def test_fifty_failing_attempts_from_one_address_reach_the_gateway_at_most_five_times(browser, donate_page):
    outcomes = [attempt(browser, donate_page, ip="203.0.113.9", email=f"tester{n}@example.org") for n in range(50)]
    reached = WebhookEvent.objects.filter(event_type="payment_intent.payment_failed").count()
    assert reached == 5
    assert outcomes[:5] == ["declined"] * 5
    assert set(outcomes[5:]) == {"blocked at the form"}
    # Blocked attempts made no gift at all.
    assert Donation.objects.count() == 5


@pytest.mark.django_db
def test_failures_with_one_email_block_it_from_any_address(browser, donate_page):
    for n in range(5):
        assert attempt(browser, donate_page, ip=f"198.51.100.{n}", email="tester@example.org") == "declined"
    assert attempt(browser, donate_page, ip="192.0.2.77", email="Tester@Example.org") == "blocked at the form"
    # Someone else on that last address is not affected.
    assert (
        attempt(browser, donate_page, ip="192.0.2.77", email="someone@example.org", card="4242424242424242") == "paid"
    )


@pytest.mark.django_db
def test_a_block_stops_a_gift_already_started(browser, donate_page):
    response = browser.post("/donate/start/", gift_form(donate_page.form_config(), email="late@example.org"),
                            REMOTE_ADDR="203.0.113.50")  # fmt: skip
    pay_url = response["Location"]
    for n in range(5):
        attempt(browser, donate_page, ip="203.0.113.50", email=f"other{n}@example.org")
    assert browser.get(pay_url, REMOTE_ADDR="203.0.113.50").status_code == 429


@pytest.mark.django_db
def test_a_captcha_hook_can_be_switched_on(browser, donate_page, settings):
    settings.DONATION_CAPTCHA_VERIFIER = "tests.donations.test_abuse.refuse_everyone"
    response = browser.post("/donate/start/", gift_form(donate_page.form_config()))
    assert response.status_code == 200
    assert "Please complete the check that you are a person." in response.content.decode()
    assert not Donation.objects.exists()


def refuse_everyone(request) -> bool:
    return False


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_identical_submissions_make_one_gift_and_one_payment(donate_page):
    data = gift_form(donate_page.form_config())
    barrier = threading.Barrier(20)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            client = Client()
            barrier.wait(timeout=30)
            response = client.post("/donate/start/", data)
            follow = client.get(response["Location"])
            results.append((response.status_code, follow.status_code))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert results == [(302, 200)] * 20
    assert Donation.objects.count() == 1
    donation = Donation.objects.get()
    assert donation.payment_intent_id.startswith("pi_sbx_")
    assert donation.events.filter(kind="created").count() == 1
