"""The supporter portal in a real browser, in English and Arabic: sign in by the emailed link, pause a monthly
gift, update the card (the sandbox's form), and the same in Arabic with JavaScript switched off."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from donations.models import DonationEvent, RecurringGift
from supporters.models import Supporter
from tests.conftest import publish
from tests.donations.conftest import FORM, card_form, gift_form
from tests.e2e.conftest import DESKTOP, Visitor

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
LINK = re.compile(r"https?://\S+/account/sign-in/[A-Za-z0-9_-]{55}/")


def link_in_mail(folder: Path, address: str) -> str:
    for path in sorted(folder.glob("*.log"), key=lambda item: item.stat().st_mtime, reverse=True):
        text = path.read_text()
        if f"To: {address}" in text:
            found = LINK.findall(text)
            if found:
                return found[-1]
    raise AssertionError(f"no sign-in link for {address} in {folder}")


def monthly_gift(site_tree, address: str, language: str) -> RecurringGift:
    """A paid monthly gift through the sandbox, as a browser without JavaScript makes one."""
    from donations.pages import DonatePage

    page = DonatePage(title="Give", slug="give", intro="Every gift counts.", form=[("donate", FORM)])
    site_tree.home.add_child(instance=page)
    publish(page)
    client = Client()
    start = client.post("/donate/start/", gift_form(page.form_config(), frequency="monthly", amount="2000",
                                                    email=address))  # fmt: skip
    client.post(start["Location"], card_form())
    Supporter.objects.filter(email=address).update(language=language)
    return RecurringGift.objects.get(supporter__email=address)


@pytest.mark.parametrize(("language", "javascript"), [("en", True), ("ar", True), ("ar", False)])
def test_sign_in_pause_a_monthly_gift_and_update_the_card(browser, site_tree, live_server, settings, tmp_path,
                                                          language, javascript):  # fmt: skip
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.BASE_URL = live_server.url
    context = browser.new_context(**DESKTOP, java_script_enabled=javascript)
    visitor = Visitor(context, live_server.url)
    prefix = "/ar" if language == "ar" else ""
    address = f"portal-{language}-{'js' if javascript else 'nojs'}@example.org"
    shot = f"{language}{'' if javascript else '-nojs'}"

    def axe() -> list[str]:
        # axe runs as a script in the page: only where the page may run scripts (the same pages are checked
        # with JavaScript on in the other runs).
        return visitor.serious_accessibility_violations() if javascript else []

    gift = monthly_gift(site_tree, address, language)
    assert gift.status == "active"

    # Ask for a link, read the email file, press sign in.
    page = visitor.go(f"{prefix}/account/gifts/")
    page.wait_for_url("**/account/sign-in/?next=*")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    page.locator("#id_email").fill(address)
    visitor.screenshot(f"portal-{shot}-1-sign-in")
    assert axe() == []
    page.locator("form.sign-in-form button[type=submit]").click()
    page.wait_for_url("**/account/sign-in/sent/")
    link = link_in_mail(tmp_path, address)
    page.goto(link)
    visitor.screenshot(f"portal-{shot}-2-confirm")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{prefix}/account/gifts/")
    assert page.locator(f"tr[data-monthly='{gift.reference}']").count() == 1
    visitor.screenshot(f"portal-{shot}-3-giving")
    assert axe() == []

    # Pause the monthly gift for two months.
    page.locator(f"tr[data-monthly='{gift.reference}'] a").click()
    page.wait_for_url(f"**/account/gifts/monthly/{gift.reference}/")
    visitor.screenshot(f"portal-{shot}-4-monthly")
    assert axe() == []
    page.locator("label[for='id_months_1']").click()
    page.locator(f"form[action='{prefix}/account/gifts/monthly/{gift.reference}/pause/'] button[type=submit]").click()
    page.wait_for_selector("dd[data-status='paused']")
    visitor.screenshot(f"portal-{shot}-5-paused")
    assert axe() == []
    gift.refresh_from_db()
    assert gift.status == "paused" and gift.paused_until is not None
    assert gift.events.filter(kind=DonationEvent.Kind.PAUSED).count() == 1

    # Update the card that pays it.
    page.goto(f"{live_server.url}{prefix}/account/gifts/card/")
    page.locator("#id_number").fill("4242 4242 4242 4242")
    page.locator("#id_expiry").fill("07/34")
    page.locator("#id_cvc").fill("123")
    visitor.screenshot(f"portal-{shot}-6-card")
    assert axe() == []
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{prefix}/account/gifts/")
    visitor.screenshot(f"portal-{shot}-7-card-saved")
    assert axe() == []
    gift.refresh_from_db()
    assert (gift.payment_card.last4, gift.payment_card.exp_month, gift.payment_card.exp_year) == ("4242", 7, 2034)
    assert visitor.outside_requests == [] and visitor.csp_violations() == []
    # The confirmation emails went out in the supporter's language.
    mails = [path.read_text() for path in tmp_path.glob("*.log")]
    assert sum(f"To: {address}" in text for text in mails) >= 3  # sign-in link, paused, card updated
    context.close()
