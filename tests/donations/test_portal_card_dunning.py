"""Update card (sandbox) and dunning: expiry warnings, failed instalments, retries, past due, staff listing."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from donations.models import Donation, DonationEvent, PaymentCard, RecurringGift
from donations.services.dunning import card_expiry_warnings_send
from donations.tasks import card_expiry_warnings_send as card_expiry_task
from donations.tasks import sandbox_renewals
from supporters.models import Supporter
from supporters.signin import supporter_sessions_end
from tests.donations.portal_helpers import give_monthly, request_id_from, sign_in

pytestmark = pytest.mark.django_db
DUE = date(2026, 11, 3)  # the instalment's day (a past month, so each try is of the same invoice)
CARD_LINK = re.compile(r"https?://[^/\s]+(/(?:ar/)?account/gifts/card/link/[^/\s]+/)")


def new_card(browser, path="/account/gifts/card/", number="4242424242424242", expiry="06/33"):
    page = browser.get(path).content.decode()
    return browser.post(path, {"number": number, "expiry": expiry, "cvc": "123",
                               "request_id": request_id_from(page, path)})  # fmt: skip


def test_one_new_card_replaces_the_card_on_every_monthly_gift(browser, donate_page):
    first = give_monthly(browser, donate_page, amount="2000")
    second = give_monthly(browser, donate_page, amount="1000")
    sign_in(browser)
    mail.outbox.clear()
    page = browser.get("/account/gifts/card/").content.decode()
    assert "The new card will pay all 2 of your monthly gifts" in page
    assert "TEST MODE" in page and "<script" not in page.split("<main", 1)[1].split("</main>")[0]
    response = new_card(browser)
    assert response.status_code == 302 and response["Location"] == "/account/gifts/"
    for gift in (first, second):
        gift.refresh_from_db()
        assert (gift.payment_card.last4, gift.payment_card.exp_month, gift.payment_card.exp_year) == ("4242", 6, 2033)
        assert gift.events.filter(kind=DonationEvent.Kind.CARD_UPDATED).count() == 1
    assert first.payment_card_id == second.payment_card_id
    assert [m.subject for m in mail.outbox] == ["Your card was updated"]
    assert "now pays all 2 of your monthly gifts" in mail.outbox[0].body
    # The same form again changes nothing twice.
    event = first.events.get(kind=DonationEvent.Kind.CARD_UPDATED)
    request_id = event.key.split(":")[1]
    browser.post("/account/gifts/card/", {"number": "4000000000000341", "expiry": "01/34", "cvc": "123",
                                          "request_id": request_id})  # fmt: skip
    first.refresh_from_db()
    assert first.payment_card.last4 == "4242" and len(mail.outbox) == 1


def test_a_declined_card_is_refused_and_nothing_changes(browser, donate_page):
    gift = give_monthly(browser, donate_page)
    sign_in(browser)
    old_card = gift.payment_card_id
    response = new_card(browser, number="4000000000000002")
    assert response.status_code == 400
    assert "Your card was declined" in response.content.decode() and "There is a problem" in response.content.decode()
    gift.refresh_from_db()
    assert gift.payment_card_id == old_card


def test_the_card_expiry_warning_is_sent_once_when_the_task_runs_twice(browser, donate_page):
    gift = give_monthly(browser, donate_page, expiry="01/27")
    assert (gift.payment_card.exp_month, gift.payment_card.exp_year) == (1, 2027)
    mail.outbox.clear()
    today = date(2026, 12, 10)  # the card expires next month
    assert card_expiry_warnings_send(today=today) == 1
    assert card_expiry_warnings_send(today=today) == 0
    assert card_expiry_warnings_send(today=today + timedelta(days=5)) == 0
    assert [m.subject for m in mail.outbox] == ["Your card expires soon"]
    assert "expires at the end of 01/2027" in mail.outbox[0].body
    assert CARD_LINK.search(mail.outbox[0].body)
    # A card expiring later is not warned about yet; the daily task runs with today's date.
    assert card_expiry_warnings_send(today=date(2026, 10, 1)) == 0
    assert card_expiry_task() == 0


def test_a_new_expiry_for_the_same_card_gets_its_own_warning(browser, donate_page):
    gift = give_monthly(browser, donate_page, expiry="01/27")
    assert card_expiry_warnings_send(today=date(2026, 12, 10)) == 1
    PaymentCard.objects.filter(pk=gift.payment_card_id).update(exp_month=1, exp_year=2030)
    assert card_expiry_warnings_send(today=date(2029, 12, 10)) == 1
    assert card_expiry_warnings_send(today=date(2029, 12, 11)) == 0


def _run_renewals(browser, gift, days_later: int) -> int:
    """The renewals task as it runs ``days_later`` days after the instalment was due."""
    gift.refresh_from_db()
    with browser.run_on_commit(execute=True):
        return sandbox_renewals(today=(DUE + timedelta(days=days_later)).isoformat())


def test_a_failed_instalment_is_retried_on_schedule_then_past_due_and_one_click_fixes_it(browser, donate_page):
    gift = give_monthly(browser, donate_page, amount="2000")
    sign_in(browser)
    new_card(browser, number="4000000000000341")  # saved, but declined whenever it is charged
    RecurringGift.objects.filter(pk=gift.pk).update(next_charge_on=DUE)
    mail.outbox.clear()

    _run_renewals(browser, gift, 0)
    gift.refresh_from_db()
    failed = gift.donations.order_by("-pk").first()
    assert failed.status == Donation.Status.FAILED
    assert (gift.status, gift.failed_attempts) == (RecurringGift.Status.PAST_DUE, 1)
    assert [m.subject for m in mail.outbox] == ["Your monthly gift could not be taken"]
    assert "We will try again in a few days." in mail.outbox[0].body
    link = CARD_LINK.search(mail.outbox[0].body).group(1)

    # Until the retry is due nothing is tried; the sandbox's schedule retries 3, 5 and 7 days apart.
    assert _run_renewals(browser, gift, 2) == 0
    assert _run_renewals(browser, gift, 3) == 1
    assert _run_renewals(browser, gift, 7) == 0
    assert _run_renewals(browser, gift, 8) == 1
    gift.refresh_from_db()
    assert gift.failed_attempts == 3 and gift.past_due_since is None
    _run_renewals(browser, gift, 15)  # the final try
    gift.refresh_from_db()
    assert gift.failed_attempts == 4
    assert gift.status == RecurringGift.Status.PAST_DUE and gift.past_due_since is not None
    assert gift.canceled_at is None
    assert gift.events.filter(kind=DonationEvent.Kind.PAST_DUE).count() == 1
    assert len(mail.outbox) == 1  # one email per failed instalment, however many tries
    assert _run_renewals(browser, gift, 40) == 0
    assert gift.donations.count() == 2  # no more tries after the final one

    # The one-click link opens the update-card page without signing in.
    stranger = Client()
    page = stranger.get(link)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Update your card" in body and "the payment due will be tried again with the new card" in body
    assert page["Referrer-Policy"] == "same-origin"
    with browser.run_on_commit(execute=True):
        response = stranger.post(link, {"number": "4242424242424242", "expiry": "08/34", "cvc": "123",
                                        "request_id": request_id_from(body, link)})  # fmt: skip
    assert response.status_code == 302
    # ...and the new card pays what was due at once.
    gift.refresh_from_db()
    failed.refresh_from_db()
    assert failed.status == Donation.Status.SUCCEEDED
    assert gift.status == RecurringGift.Status.ACTIVE and gift.past_due_since is None
    assert gift.payment_card.last4 == "4242"


def test_a_signed_in_supporter_following_the_link_lands_on_the_update_card_page(browser, donate_page):
    gift = give_monthly(browser, donate_page)
    from donations.services.dunning import card_update_link

    link = card_update_link(gift.supporter).split("://", 1)[1].split("/", 1)[1]
    sign_in(browser)
    response = browser.get(f"/{link}")
    assert response.status_code == 302 and response["Location"] == "/account/gifts/card/"


def test_a_tampered_or_revoked_card_link_does_not_work(browser, donate_page):
    gift = give_monthly(browser, donate_page)
    from donations.services.dunning import card_update_link

    path = "/" + card_update_link(gift.supporter).split("://", 1)[1].split("/", 1)[1]
    assert Client().get(path).status_code == 200
    assert Client().get(path.replace("/link/", "/link/x")).status_code == 400
    supporter_sessions_end(supporter=gift.supporter)  # "sign out everywhere" ends these links too
    response = Client().get(path)
    assert response.status_code == 400 and "This link does not work" in response.content.decode()


def test_staff_see_past_due_gifts_in_the_admin(browser, donate_page, staff_client):
    healthy = give_monthly(browser, donate_page, email="ok@example.org")
    gift = give_monthly(browser, donate_page, email="late@example.org")
    RecurringGift.objects.filter(pk=gift.pk).update(status="past_due", past_due_since=timezone.now())
    Supporter.objects.filter(email="late@example.org").update(name="Late Payer")
    Supporter.objects.filter(email="ok@example.org").update(name="Prompt Payer")
    body = staff_client.get("/admin/donations/monthly/?past_due=true").content.decode()
    assert "Late Payer" in body and "Prompt Payer" not in body
    assert "Past due since" in body
    assert healthy.status == "active"
