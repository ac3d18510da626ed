"""Giving in a real browser on a phone, with each of the sandbox's test cards, in English and Arabic."""

from __future__ import annotations

import pytest
from django.core import mail

from donations.models import Donation
from tests.conftest import translate
from tests.donations.conftest import FORM

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CARDS = {
    "succeeds": ("4242 4242 4242 4242", "succeeded"),
    "declined": ("4000 0000 0000 0002", "failed"),
    "authenticates": ("4000 0025 0000 3155", "succeeded"),
    "disputed": ("4000 0000 0000 0259", "disputed"),
}


@pytest.fixture
def give_pages(site_tree):
    from donations.pages import DonatePage
    from tests.conftest import publish

    page = DonatePage(title="Give", slug="give", intro="Every gift counts.", form=[("donate", FORM)])
    site_tree.home.add_child(instance=page)
    publish(page)
    translate(page, site_tree.arabic, title="تبرّع", intro="كل تبرع يصنع فرقًا.")
    return page


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("card", list(CARDS))
def test_give_with_a_test_card(phone_visitor, give_pages, language, card):
    number, final_status = CARDS[card]
    prefix = "/ar" if language == "ar" else ""
    name = f"{card}-{language}"
    page = phone_visitor.go(f"{prefix}/give/")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    page.locator("label[for='id_amount_1']").click()  # the second suggested amount
    page.locator("#id_cover_fee").check()
    assert "1.81" in page.locator("label[for='id_cover_fee']").inner_text()  # computed in the browser
    page.locator("#id_name").fill("هدى حداد" if language == "ar" else "Huda Haddad")
    page.locator("#id_email").fill(f"{name}@example.org")
    phone_visitor.screenshot(f"donate-{name}-1-form")
    assert phone_visitor.serious_accessibility_violations() == []
    page.locator("form.donate-main button[type=submit]").click()

    page.wait_for_url("**/pay/")
    page.locator("#id_number").fill(number)
    page.locator("#id_expiry").fill("12/39")
    page.locator("#id_cvc").fill("123")
    phone_visitor.screenshot(f"donate-{name}-2-pay")
    assert phone_visitor.serious_accessibility_violations() == []
    page.locator("form.card button[type=submit]").click()

    if card == "authenticates":
        page.wait_for_url("**/authenticate/")
        phone_visitor.screenshot(f"donate-{name}-3-authenticate")
        page.locator("button[value=pass]").click()
    if card == "declined":
        page.wait_for_url("**/pay/")
        alert = page.get_by_role("alert").first
        assert ("رُفضت بطاقتك" if language == "ar" else "Your card was declined") in alert.inner_text()
    else:
        page.wait_for_url("**/thanks/")
        heading = page.locator("h1").inner_text()
        assert heading == ("شكرًا لك يا هدى حداد!" if language == "ar" else "Thank you, Huda Haddad!")
    phone_visitor.screenshot(f"donate-{name}-4-result")
    assert phone_visitor.serious_accessibility_violations() == []
    assert phone_visitor.csp_violations() == []
    assert phone_visitor.outside_requests == []

    donation = Donation.objects.get(supporter__email=f"{name}@example.org")
    assert donation.status == final_status
    assert (donation.amount_minor, donation.fee_covered_minor, donation.language) == (5181, 181, language)
    if final_status != "failed":
        assert [message.to for message in mail.outbox] == [[f"{name}@example.org"]]
