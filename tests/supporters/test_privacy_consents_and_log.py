"""Consent records on the privacy page, withdrawn there with their effects; the staff's privacy-request log."""
# ruff: noqa: F811 (fixtures are imported from the other test packages and named as arguments)

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from campaigns.petitions.models import Signature
from campaigns.petitions.selectors import petition_recent_signers
from donations.models import DonorSurvey
from supporters.models import Consent, PrivacyRequest
from supporters.privacy import supporter_erase
from tests.campaigns.conftest import campaign, target  # noqa: F401
from tests.campaigns.petition_fixtures import fold, petition, real_counting  # noqa: F401
from tests.campaigns.test_marches_fixtures import live_march, second_target  # noqa: F401
from tests.donations.conftest import browser, donate_page  # noqa: F401
from tests.supporters.privacy_helpers import EMAIL, NAME, person_who_gave_signed_and_marched, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def layla(browser, donate_page, petition, live_march, target, fold):
    return person_who_gave_signed_and_marched(browser, donate_page, petition, live_march, target, fold)


def test_every_consent_is_listed_with_its_wording_version_and_time(browser, layla):
    sign_in(browser.client, EMAIL)
    page = browser.get("/account/privacy/").content.decode()
    for consent in Consent.objects.filter(supporter=layla.supporter):
        assert consent.wording_version in page
        assert consent.wording.split("\n")[0][:40] in page
    for label in ("Email updates", "Shown publicly", "Demographic questions"):
        assert label in page
    assert page.count("Withdraw:") == 3


def test_withdrawing_public_display_takes_the_signature_off_the_wall(browser, layla, petition):
    assert NAME.split()[0] in [row["first_name"] for row in petition_recent_signers(petition_id=petition.pk)]
    sign_in(browser.client, EMAIL)
    response = browser.post("/account/privacy/consents/public_display/withdraw/", follow=True)
    assert "You have withdrawn your consent: Shown publicly." in response.content.decode()
    latest = Consent.objects.filter(supporter=layla.supporter, topic="public_display").order_by("-created_at").first()
    assert latest.granted is False and latest.source == "account:privacy" and latest.wording_version
    assert not Signature.objects.get(pk=layla.signature.pk).public
    assert NAME.split()[0] not in [row["first_name"] for row in petition_recent_signers(petition_id=petition.pk)]
    # The record of the consent given is kept; withdrawing again adds nothing.
    assert Consent.objects.filter(supporter=layla.supporter, topic="public_display", granted=True).exists()
    count = Consent.objects.count()
    browser.post("/account/privacy/consents/public_display/withdraw/")
    assert Consent.objects.count() == count
    assert "Withdraw: Shown publicly" not in browser.get("/account/privacy/").content.decode()


def test_withdrawing_updates_and_demographics(browser, layla):
    sign_in(browser.client, EMAIL)
    browser.post("/account/privacy/consents/email_updates/withdraw/")
    assert not Signature.objects.get(pk=layla.signature.pk).updates
    assert DonorSurvey.objects.filter(supporter=layla.supporter).exists()
    browser.post("/account/privacy/consents/demographics/withdraw/")
    assert not DonorSurvey.objects.filter(supporter=layla.supporter).exists()
    assert browser.post("/account/privacy/consents/nonsense/withdraw/").status_code == 404
    assert browser.get("/account/privacy/consents/demographics/withdraw/").status_code == 405


def test_staff_read_the_privacy_request_log(browser, layla, staff_client, django_user_model):
    sign_in(browser.client, EMAIL)
    browser.post("/account/privacy/export/")
    supporter_erase(supporter=layla.supporter, request=None)
    PrivacyRequest.objects.create(supporter=layla.supporter, kind="erasure", status="done", detail={"x": {"y": 1}})
    response = staff_client.get("/admin/privacy-requests/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Data export" in page and "Erasure" in page and f"Supporter {layla.supporter.pk}" in page
    assert "erased" in page and EMAIL not in page
    assert "gifts: 1" in page  # what the export held
    filtered = staff_client.get("/admin/privacy-requests/?kind=erasure").content.decode()
    assert "Data export</td>" not in filtered
    # Read-only: nothing to post.
    assert staff_client.post("/admin/privacy-requests/").status_code == 405

    # Staff without the permission are refused; with it (view only), they read.
    editor = django_user_model.objects.create_user(username="clerk", password="x")
    group = Group.objects.create(name="Clerks")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    editor.groups.add(group)
    clerk = Client()
    clerk.force_login(editor)
    assert clerk.get("/admin/privacy-requests/").status_code in (302, 403)
    group.permissions.add(Permission.objects.get(codename="view_privacyrequest"))
    editor = django_user_model.objects.get(pk=editor.pk)
    clerk.force_login(editor)
    assert clerk.get("/admin/privacy-requests/").status_code == 200


def test_asking_too_often_is_refused(client, db):
    from django.utils import timezone

    from supporters.models import Supporter

    Supporter.objects.create(email="eager@example.org", email_verified_at=timezone.now())
    sign_in(client, "eager@example.org")
    statuses = [client.post("/account/privacy/erase/").status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
