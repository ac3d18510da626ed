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


def link_in_mail(folder: Path, address: str, pattern: re.Pattern[str]) -> str:
    for path in sorted(folder.glob("*.log"), key=lambda item: item.stat().st_mtime, reverse=True):
        text = path.read_text()
        if f"To: {address}" in text:
            found = pattern.findall(text)
            if found:
                return found[-1]
    raise AssertionError(f"no link for {address} in {folder}")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_sign_in_ask_for_my_data_and_download_it(visitor, site_tree, live_server, settings, tmp_path, language):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.BASE_URL = live_server.url
    prefix = "/ar" if language == "ar" else ""
    address = f"privacy-{language}@example.org"

    # The privacy page needs a signed-in supporter: the sign-in page, then the emailed link.
    page = visitor.page
    page.goto(f"{live_server.url}{prefix}/account/privacy/")
    page.wait_for_url("**/account/sign-in/?next=*")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    page.locator("#id_email").fill(address)
    page.locator("form.sign-in-form button[type=submit]").click()
    page.wait_for_url("**/account/sign-in/sent/")
    page.goto(link_in_mail(tmp_path, address, SIGN_IN_LINK))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{prefix}/account/privacy/")

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
