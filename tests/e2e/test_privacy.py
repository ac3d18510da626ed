"""Download my data in a real browser, in English and Arabic: sign in by emailed link, ask, open the emailed link."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from supporters.models import Consent, PrivacyRequest, Supporter

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SIGN_IN_LINK = re.compile(r"https?://\S+/account/sign-in/[A-Za-z0-9_-]{55}/")
EXPORT_LINK = re.compile(r"https?://\S+/account/privacy/export/[^\s/]+/")
ERASE_LINK = re.compile(r"https?://\S+/account/privacy/erase/[^\s/]+/")


def link_in_mail(folder: Path, address: str, pattern: re.Pattern[str]) -> str:
    for path in sorted(folder.glob("*.log"), key=lambda item: item.stat().st_mtime, reverse=True):
        text = path.read_text()
        if f"To: {address}" in text:
            found = pattern.findall(text)
            if found:
                return found[-1]
    raise AssertionError(f"no link for {address} in {folder}")


def sign_in_by_email(visitor, live_server, folder: Path, address: str, prefix: str = ""):
    """The privacy page needs a signed-in supporter: the sign-in page, then the emailed link's button."""
    page = visitor.page
    page.goto(f"{live_server.url}{prefix}/account/privacy/")
    page.wait_for_url("**/account/sign-in/?next=*")
    page.locator("#id_email").fill(address)
    page.locator("form.sign-in-form button[type=submit]").click()
    page.wait_for_url("**/account/sign-in/sent/")
    page.goto(link_in_mail(folder, address, SIGN_IN_LINK))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{prefix}/account/privacy/")
    return page


@pytest.mark.parametrize("language", ["en", "ar"])
def test_sign_in_ask_for_my_data_and_download_it(visitor, site_tree, live_server, settings, tmp_path, language):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.BASE_URL = live_server.url
    prefix = "/ar" if language == "ar" else ""
    address = f"privacy-{language}@example.org"

    page = sign_in_by_email(visitor, live_server, tmp_path, address, prefix)
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")

    supporter = Supporter.objects.get(email=address)
    Consent.objects.create(supporter=supporter, topic="email_updates", granted=True, wording="Yes, email me news.",
                           wording_version="donation-updates-v1", source="donation_form")  # fmt: skip
    page.reload()
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator(".consent-records").count() == 1
    assert "donation-updates-v1" in page.locator(".consent-records").inner_text()
    visitor.screenshot(f"privacy-{language}-1-page")
    assert visitor.serious_accessibility_violations() == []

    # Ask for the export: the task runs (eagerly, after the request commits) and emails a link.
    page.locator("form.privacy-export-form button[type=submit]").click()
    page.wait_for_url(f"**{prefix}/account/privacy/")
    assert page.locator(".alert").count() >= 1
    visitor.screenshot(f"privacy-{language}-2-asked")
    assert visitor.serious_accessibility_violations() == []
    request = PrivacyRequest.objects.get(supporter=supporter, kind="export")
    assert request.status == "done" and request.emailed_at is not None
    link = link_in_mail(tmp_path, address, EXPORT_LINK)
    assert link.startswith(f"{live_server.url}{prefix}/account/privacy/export/")

    # Open the emailed link: the browser downloads the ZIP.
    with page.expect_download() as download_info:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; document.body.append(a); a.click(); }", link
        )
    download = download_info.value
    assert download.suggested_filename.startswith("my-data-") and download.suggested_filename.endswith(".zip")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    archive = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    [row] = json.loads(archive.read("supporters/supporter.json"))
    assert row["email"] == address
    consents = json.loads(archive.read("supporters/consents.json"))
    assert [c["wording_version"] for c in consents] == ["donation-updates-v1"]
    assert "donations/gifts.csv" in archive.namelist() and "campaigns/petition_signatures.json" in archive.namelist()

    # The erase page, reached from the privacy page, explains what is kept before anything is done.
    page.locator(f"a[href='{prefix}/account/privacy/erase/']").click()
    page.wait_for_url(f"**{prefix}/account/privacy/erase/")
    assert page.locator(".privacy-kept li").count() >= 3
    visitor.screenshot(f"privacy-{language}-3-erase")
    assert visitor.serious_accessibility_violations() == []
    assert visitor.csp_violations() == [] and visitor.outside_requests == []


def test_erase_me_from_the_emailed_link_and_staff_see_it_in_the_log(
    visitor, site_tree, live_server, settings, tmp_path, django_user_model
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.BASE_URL = live_server.url
    address = "leaving@example.org"
    page = sign_in_by_email(visitor, live_server, tmp_path, address)
    supporter = Supporter.objects.get(email=address)

    page.locator("a[href='/account/privacy/erase/']").click()
    page.locator("form.privacy-erase-form button[type=submit]").click()
    assert "Check your email" in page.locator("h1").inner_text()
    visitor.screenshot("privacy-en-4-erase-sent")
    page.goto(link_in_mail(tmp_path, address, ERASE_LINK))
    assert "Erase my data" in page.locator("h1").inner_text()
    visitor.screenshot("privacy-en-5-erase-confirm")
    assert visitor.serious_accessibility_violations() == []
    supporter.refresh_from_db()
    assert supporter.erased_at is None  # opening the link erases nothing
    page.locator("main form button[type=submit]").click()
    assert "being erased" in page.locator("h1").inner_text()
    visitor.screenshot("privacy-en-6-erased")
    assert visitor.serious_accessibility_violations() == []
    supporter.refresh_from_db()
    assert supporter.erased_at is not None and supporter.email == f"erased-{supporter.pk}@invalid"
    assert "Your data has been erased" in "".join(p.read_text() for p in tmp_path.glob("*.log"))

    # Staff read the log in the admin.
    django_user_model.objects.create_superuser("staff", "staff@example.org", "a long staff password")
    admin = visitor.go("/admin/login/")
    admin.get_by_label("Username").fill("staff")
    admin.get_by_label("Password").fill("a long staff password")
    admin.get_by_role("button", name="Sign in").click()
    admin.wait_for_url("**/admin/")
    log = visitor.go("/admin/privacy-requests/")
    rows = log.locator("table.privacy-log tbody tr")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "Erasure" in text and "Done" in text and "erased" in text.lower() and address not in text
    visitor.screenshot("privacy-admin-log")
