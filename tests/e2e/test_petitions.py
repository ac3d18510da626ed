"""Signing a petition in a real browser on a phone, in English and Arabic: sign, confirm from the email, see the count."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest

from campaigns.petitions.models import Signature
from campaigns.petitions.tasks import petitions_fold, petitions_mail_drain
from tests.campaigns.conftest import campaign, target  # noqa: F401
from tests.campaigns.petition_fixtures import *  # noqa: F403

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TEXT = {
    "en": {"name": "Huda Haddad", "city": "Amman", "check": "Check your email", "counts": "your signature counts"},
    "ar": {"name": "هدى حداد", "city": "عمّان", "check": "تحقق من بريدك الإلكتروني", "counts": "توقيعك يُحتسب"},
}


def newest_mail_text(folder: Path) -> str:
    """The plain-text body of the newest message the file backend wrote."""
    newest = max(folder.iterdir(), key=lambda path: path.stat().st_mtime_ns)
    raw = newest.read_bytes().split(b"\n" + b"-" * 79 + b"\n")[0]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_sign_confirm_and_see_the_count(phone_visitor, petition, petition_ar, settings, tmp_path, language):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    text = TEXT[language]
    page_url = (petition_ar if language == "ar" else petition).url
    address = f"huda-{language}@example.org"

    page = phone_visitor.go(page_url)
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    phone_visitor.screenshot(f"petition-{language}-1-page")
    assert phone_visitor.serious_accessibility_violations() == []
    page.locator("#id_name").fill(text["name"])
    page.locator("#id_email").fill(address)
    page.locator("#id_country").select_option("JO")
    page.locator("#id_city").fill(text["city"])
    page.locator("#id_public").check()
    page.locator("form.petition-sign button[type=submit]").click()

    page.wait_for_url("**/thanks/")
    assert text["check"] in page.locator("h1").inner_text()
    phone_visitor.screenshot(f"petition-{language}-2-check-your-email")
    assert phone_visitor.serious_accessibility_violations() == []

    assert petitions_mail_drain() == 1
    body = newest_mail_text(tmp_path)
    link = re.search(r"https?://\S+/confirm/\d+/[0-9a-f]+/", body)
    assert link, body
    path = "/" + link.group(0).split("/", 3)[3]
    assert path.startswith("/ar/act/" if language == "ar" else "/act/")

    page = phone_visitor.go(path)  # a GET, as a mail scanner would do: nothing is confirmed
    assert Signature.objects.get(email=address).status == Signature.Status.PENDING
    phone_visitor.screenshot(f"petition-{language}-3-confirm")
    assert phone_visitor.serious_accessibility_violations() == []
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert text["counts"] in page.locator("h1").inner_text()
    assert Signature.objects.get(email=address).status == Signature.Status.CONFIRMED
    phone_visitor.screenshot(f"petition-{language}-4-confirmed")

    assert petitions_fold() == 1
    page = phone_visitor.go(page_url)
    counter = page.locator("[data-petition-count]")
    counter.filter(has_text="1").wait_for()
    assert counter.inner_text() == "1"
    assert text["name"].split()[0] in page.locator(".petition-wall").inner_text()
    phone_visitor.screenshot(f"petition-{language}-5-counted")
    assert phone_visitor.serious_accessibility_violations() == []
    assert phone_visitor.csp_violations() == []
    assert phone_visitor.outside_requests == []


def test_without_javascript_a_phone_signs_confirms_and_sees_the_count(
    phone_visitor_without_javascript, petition, petition_ar, settings, tmp_path
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    visitor = phone_visitor_without_javascript
    page = visitor.go(petition_ar.url)
    page.locator("#id_name").fill("سامي عودة")
    page.locator("#id_email").fill("sami@example.org")
    page.locator("#id_country").select_option("JO")
    page.locator("form.petition-sign button[type=submit]").click()
    page.wait_for_url("**/thanks/")
    assert TEXT["ar"]["check"] in page.locator("h1").inner_text()
    petitions_mail_drain()
    link = re.search(r"https?://\S+/confirm/\d+/[0-9a-f]+/", newest_mail_text(tmp_path))
    page = visitor.go("/" + link.group(0).split("/", 3)[3])
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert TEXT["ar"]["counts"] in page.locator("h1").inner_text()
    petitions_fold()
    page = visitor.go(petition_ar.url)
    # The page cache dropped the petition's pages when the count changed: no script needed.
    assert page.locator("[data-petition-count]").inner_text() == "1"
    visitor.screenshot("petition-ar-nojs-counted")
    assert visitor.outside_requests == []
