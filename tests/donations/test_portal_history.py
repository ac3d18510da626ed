"""The portal's giving history: every gift, its receipt (to its owner only), statements, refunds; and 404s."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from donations.models import RecurringGift
from donations.receipts.statements import statement_build
from donations.services import donation_refund
from supporters.models import Supporter
from tests.donations.portal_helpers import give, give_monthly, sign_in

pytestmark = pytest.mark.django_db


def test_signed_out_visitors_are_sent_to_sign_in(client, site_tree):
    response = client.get("/account/gifts/")
    assert response.status_code == 302
    assert response["Location"] == "/account/sign-in/?next=%2Faccount%2Fgifts%2F"


def test_the_history_lists_every_gift_with_its_receipt_and_refund_status(
    browser, donate_page, staff_user, django_capture_on_commit_callbacks
):
    once = give(browser, donate_page, amount="5000")
    monthly = give_monthly(browser, donate_page, amount="2000")
    give(browser, donate_page, number="4000000000000002")  # declined: not history
    with django_capture_on_commit_callbacks(execute=True):
        donation_refund(donation=once, amount_minor=2000, reason="Asked by donor", user=staff_user,
                        request_id=uuid.uuid4())  # fmt: skip
    sign_in(browser)

    account = browser.get("/account/").content.decode()
    assert "Giving history, receipts and statements" in account and 'data-portal-section="gifts"' in account

    page = browser.get("/account/gifts/")
    assert "no-cache" in page["Cache-Control"]
    body = page.content.decode()
    assert "$50.00" in body and "$20.00 refunded" in body and "Partially refunded" in body
    assert "$20.00 a month" in body and "Active" in body
    receipt = once.receipt
    assert f"Receipt {receipt.number} (PDF)" in body
    assert body.count("data-gift=") == 2  # the failed attempt is not a gift

    pdf = browser.get(f"/account/gifts/{once.reference}/receipt/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert "no-store" in pdf["Cache-Control"] and "private" in pdf["Cache-Control"]
    assert monthly.donations.get().receipt is not None


def test_annual_statements_are_listed_and_downloadable(browser, donate_page):
    donation = give(browser, donate_page)
    statement_build(supporter=donation.supporter, fiscal_year=donation.receipt.fiscal_year)
    sign_in(browser)
    body = browser.get("/account/gifts/").content.decode()
    year = donation.receipt.fiscal_year
    assert f"Statement for {year} (PDF)" in body
    pdf = browser.get(f"/account/gifts/statements/{year}/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert browser.get(f"/account/gifts/statements/{year - 1}/").status_code == 404


def test_every_portal_action_on_someone_elses_gift_answers_404(
    browser, donate_page, django_capture_on_commit_callbacks
):
    theirs = give(browser, donate_page, email="other@example.org")
    their_monthly = give_monthly(browser, donate_page, email="other@example.org")
    statement_build(supporter=theirs.supporter, fiscal_year=theirs.receipt.fiscal_year)
    give(browser, donate_page, email="huda@example.org")  # the signed-in supporter has gifts of her own
    sign_in(browser, "huda@example.org")
    request_id = str(uuid.uuid4())
    ref = their_monthly.reference
    gets = [
        f"/account/gifts/{theirs.reference}/receipt/",
        f"/account/gifts/statements/{theirs.receipt.fiscal_year}/",
        f"/account/gifts/monthly/{ref}/",
        f"/account/gifts/monthly/{ref}/cancel/",
    ]
    posts = [
        (f"/account/gifts/monthly/{ref}/amount/", {"amount": "30", "request_id": request_id}),
        (f"/account/gifts/monthly/{ref}/day/", {"day": "5", "request_id": request_id}),
        (f"/account/gifts/monthly/{ref}/pause/", {"months": "1", "request_id": request_id}),
        (f"/account/gifts/monthly/{ref}/resume/", {"request_id": request_id}),
        (f"/account/gifts/monthly/{ref}/cancel/", {"request_id": request_id}),
    ]
    for path in gets:
        assert browser.get(path).status_code == 404, path
    for path, data in posts:
        assert browser.post(path, data).status_code == 404, path
    their_monthly.refresh_from_db()
    assert (their_monthly.status, their_monthly.amount_minor) == (RecurringGift.Status.ACTIVE, 2000)
    assert not their_monthly.events.filter(key__startswith="portal:").exists()
    # An unknown reference is the same 404.
    assert browser.get(f"/account/gifts/monthly/{uuid.uuid4()}/").status_code == 404
    # The receipt's old link (for the browser that gave) is not opened by being signed in as someone else.
    assert Client().get(f"/receipts/{theirs.reference}/pdf/").status_code == 404
    assert Supporter.objects.count() == 2


def test_the_arabic_history_is_right_to_left(browser, donate_page):
    give(browser, donate_page)
    sign_in(browser)
    body = browser.get("/ar/account/gifts/").content.decode()
    assert 'dir="rtl"' in body and 'lang="ar"' in body
