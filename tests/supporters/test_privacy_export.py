"""Download my data: a ZIP of JSON and CSV with everything we hold, behind an emailed link that expires."""
# ruff: noqa: F811 (fixtures are imported from the other test packages and named as arguments)

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from supporters.models import PrivacyRequest, Supporter
from supporters.privacy import export_build, exports_purge
from supporters.tasks import privacy_export_build
from tests.campaigns.conftest import campaign, target  # noqa: F401
from tests.campaigns.petition_fixtures import fold, petition, real_counting  # noqa: F401
from tests.campaigns.test_marches_fixtures import live_march, second_target  # noqa: F401
from tests.donations.conftest import browser, donate_page  # noqa: F401
from tests.supporters.privacy_helpers import (
    EMAIL,
    EXPORT_LINK,
    NAME,
    link_in_outbox,
    person_who_gave_signed_and_marched,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def layla(browser, donate_page, petition, live_march, target, fold):
    return person_who_gave_signed_and_marched(browser, donate_page, petition, live_march, target, fold)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def ask_for_export(browser) -> str:
    mail.outbox.clear()
    response = browser.post("/account/privacy/export/", follow=True)
    assert "We are preparing your data" in response.content.decode()
    return path_of(link_in_outbox(EXPORT_LINK, EMAIL))


def test_the_export_holds_everything_we_hold_as_json_and_csv(browser, layla):
    sign_in(browser.client, EMAIL)
    page = browser.get("/account/privacy/").content.decode()
    assert "Download my data" in page and "Erase me" in page
    path = ask_for_export(browser)
    assert "7 days" in mail.outbox[-1].body

    response = browser.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    for table in (
        "supporters/supporter", "supporters/consents", "supporters/sign_in_links", "supporters/privacy_requests",
        "donations/gifts", "donations/receipts", "donations/survey_answers", "donations/gift_timeline",
        "campaigns/petition_signatures", "campaigns/march_registrations", "campaigns/march_actions",
        "campaigns/march_letters", "campaigns/proposals", "campaigns/proposal_votes",
    ):  # fmt: skip
        assert {f"{table}.json", f"{table}.csv"} <= names, table
    assert {"manifest.json", "README.txt"} <= names

    def table(name: str) -> list[dict]:
        return json.loads(archive.read(f"{name}.json"))

    [supporter] = table("supporters/supporter")
    assert (supporter["email"], supporter["name"]) == (EMAIL, NAME)
    [gift] = table("donations/gifts")
    assert (gift["amount_minor"], gift["currency"], gift["status"]) == (5000, "USD", "succeeded")
    assert (gift["address_line1"], gift["message"], gift["card_last4"]) == (
        "12 Rainbow Street",
        f"From {NAME}, for the wells",
        "4242",
    )
    [receipt] = table("donations/receipts")
    assert receipt["number"].endswith("-000001")
    assert archive.read(f"donations/files/receipt-{receipt['number']}.pdf").startswith(b"%PDF")
    [survey] = table("donations/survey_answers")
    assert (survey["age_band"], survey["city"]) == ("35_44", "Irbid")
    [signature] = table("campaigns/petition_signatures")
    assert (signature["name"], signature["comment"], signature["status"]) == (NAME, f"{NAME} wants water", "confirmed")
    [registration] = table("campaigns/march_registrations")
    assert registration["name"] == NAME
    [letter] = table("campaigns/march_letters")
    assert NAME in letter["body"]
    topics = sorted((c["topic"], c["granted"]) for c in table("supporters/consents"))
    assert ("public_display", True) in topics and ("demographics", True) in topics
    # Nothing of anyone else.
    assert b"signer1@example.org" not in b"".join(archive.read(n) for n in names if not n.endswith(".pdf"))

    # The CSV twin: a header row, the same rows, readable by a spreadsheet (BOM), formula-safe.
    text = archive.read("donations/gifts.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1 and rows[0]["amount_minor"] == "5000" and rows[0]["address_city"] == "Amman"
    manifest = json.loads(archive.read("manifest.json"))
    assert {"name": "donations/gifts", "rows": 1} in manifest["files"]

    # The staff log says what was exported, in counts only.
    request = PrivacyRequest.objects.get(kind=PrivacyRequest.Kind.EXPORT)
    assert request.status == PrivacyRequest.Status.DONE
    assert request.detail["donations"]["gifts"] == 1 and EMAIL not in json.dumps(request.detail)


def test_a_retried_task_builds_one_export_and_sends_one_email(browser, layla):
    sign_in(browser.client, EMAIL)
    ask_for_export(browser)
    request = PrivacyRequest.objects.get(kind=PrivacyRequest.Kind.EXPORT)
    name = request.file.name
    sent = len(mail.outbox)
    assert privacy_export_build.delay(request.pk).get() is False
    assert export_build(request_id=request.pk) is False
    request.refresh_from_db()
    assert request.file.name == name and len(mail.outbox) == sent
    storage = request.file.storage
    assert storage.listdir("privacy-exports")[1].count(name.rsplit("/", 1)[1]) == 1


def test_the_link_works_for_its_supporter_only_and_says_when_it_expired(browser, layla):
    client = Client()  # another browser
    sign_in(browser.client, EMAIL)
    path = ask_for_export(browser)
    # Someone else, signed in, gets nothing; someone signed out is sent to sign in.
    assert client.get(path).status_code == 302
    sign_in(client, "someone.else@example.org")
    assert client.get(path).status_code == 404
    assert browser.get(path[:-4] + "xyz/").status_code == 404  # tampered

    # Seven days later: "expired", and the hourly task deletes the file.
    request = PrivacyRequest.objects.get(kind=PrivacyRequest.Kind.EXPORT)
    request.expires_at = timezone.now() - timedelta(seconds=1)
    request.save(update_fields=["expires_at"])
    response = browser.get(path)
    assert response.status_code == 410 and "This link has expired" in response.content.decode()
    storage, name = request.file.storage, request.file.name
    assert storage.exists(name)
    assert exports_purge() == 1
    assert exports_purge() == 0
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.EXPIRED and not request.file and request.file_deleted_at
    assert not storage.exists(name)
    assert browser.get(path).status_code == 410


def test_asking_twice_while_it_is_built_makes_one_request(db):
    from supporters.privacy import export_request

    supporter = Supporter.objects.create(email="quick@example.org", email_verified_at=timezone.now())
    # The build task is queued on commit, which this test never reaches: the first request stays queued.
    first, created = export_request(supporter=supporter, language="en")
    second, created_again = export_request(supporter=supporter, language="en")
    assert created and not created_again and first.pk == second.pk
    assert first.status == PrivacyRequest.Status.QUEUED


def test_a_build_that_died_is_queued_again_when_asked_again(db, django_capture_on_commit_callbacks):
    from supporters.privacy import export_request

    supporter = Supporter.objects.create(email="stuck@example.org", email_verified_at=timezone.now())
    stuck, _created = export_request(supporter=supporter, language="en")  # its task never ran
    PrivacyRequest.objects.filter(pk=stuck.pk).update(requested_at=timezone.now() - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        again, created = export_request(supporter=supporter, language="en")
    assert again.pk == stuck.pk and not created
    stuck.refresh_from_db()
    assert stuck.status == PrivacyRequest.Status.DONE and stuck.file
    assert [m.to for m in mail.outbox] == [["stuck@example.org"]]
