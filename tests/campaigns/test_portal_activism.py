"""The portal's activism history, communication preferences and one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.marches.models import MarchAction, MarchParticipant, MarchSlot
from campaigns.petitions.models import Signature
from campaigns.proposals.services import proposal_vote_cast
from supporters.models import Consent
from supporters.preferences import preferences_current
from supporters.unsubscribe import unsubscribe_headers, unsubscribe_url
from tests.campaigns.petition_fixtures import *  # noqa: F403
from tests.campaigns.test_marches_fixtures import future_march, second_target  # noqa: F401
from tests.campaigns.test_proposals_fixtures import (  # noqa: F401
    make_supporter,
    open_round,
    published,
    signed_in_client,
)

pytestmark = pytest.mark.django_db


def signature_for(petition, supporter, **fields) -> Signature:
    values = {"name": "Huda Haddad", "email": supporter.email, "email_canonical": supporter.email,
              "email_domain": "example.org", "country": "JO", "consent_version": "v1", "updates": True,
              "status": Signature.Status.CONFIRMED, "confirmed_at": timezone.now(), "supporter": supporter}  # fmt: skip
    return Signature.objects.create(petition=petition, **{**values, **fields})


def test_the_activism_history_shows_petitions_marches_with_slots_proposals_and_votes(
    petition,
    future_march,  # noqa: F811
    target,
    open_round,  # noqa: F811
):
    huda = make_supporter("huda@example.org")
    other = make_supporter("other@example.org")
    signature_for(petition, huda)
    signature_for(petition, other, email="other@example.org", email_canonical="other@example.org")
    slot = MarchSlot.objects.filter(march=future_march, target=target).order_by("starts_at").first()
    entry = MarchParticipant.objects.create(march=future_march, supporter=huda, name="Huda", region="Amman",
                                            target=target, slot=slot, call_at=slot.starts_at)  # fmt: skip
    MarchAction.objects.create(march=future_march, participant=entry, target=target, kind="call",
                               outcome="answered", region="Amman")  # fmt: skip
    mine = published(huda, "Clean water in every school")
    theirs = published(other, "More buses to Zarqa")
    proposal_vote_cast(supporter=huda, proposal_id=theirs.pk)

    client = signed_in_client(huda)
    account = client.get("/account/").content.decode()
    assert "1 petition signed." in account and "1 march joined." in account and "1 vote cast." in account
    body = client.get("/account/activism/").content.decode()
    assert "Fix the wells of Mafraq" in body and "you get its updates" in body
    assert body.count("data-signature=") == 1  # not the other supporter's
    assert "Call for clean water" in body and "Your slot:" in body
    assert "calling " in body
    assert "Clean water in every school" in body and "Published" in body
    assert 'data-vote="' in body and "More buses to Zarqa" in body
    assert mine.pk != theirs.pk


def test_the_activism_page_needs_sign_in(client, site_tree):
    response = client.get("/account/activism/")
    assert response.status_code == 302 and response["Location"].startswith("/account/sign-in/?next=")


def test_arabic_activism_page_is_right_to_left(site_tree):
    client = signed_in_client(make_supporter("huda@example.org"))
    body = client.get("/ar/account/activism/").content.decode()
    assert 'dir="rtl"' in body and 'lang="ar"' in body


def test_preferences_are_consent_rows_and_withdrawal_is_a_new_row(petition):
    huda = make_supporter("huda@example.org")
    signature = signature_for(petition, huda)
    client = signed_in_client(huda)
    page = client.get("/account/preferences/").content.decode()
    assert "Updates on petitions I signed" in page and "News and appeals" in page and "<label" in page
    client.post("/account/preferences/", {"email_updates": "on", "petition_updates": "on"})
    assert preferences_current(huda) == {"email_updates": True, "petition_updates": True, "action_alerts": False}
    granted = Consent.objects.get(supporter=huda, topic="petition_updates")
    assert granted.granted and granted.wording_version == "preferences-v1" and granted.source == "portal"
    assert "milestone" in granted.wording and granted.created_at is not None
    # Saving the same choices adds nothing.
    client.post("/account/preferences/", {"email_updates": "on", "petition_updates": "on"})
    assert Consent.objects.filter(supporter=huda).count() == 2
    # Withdrawing is a new row, the old one stays; the petition's update emails stop at once.
    with django_on_commit():
        client.post("/account/preferences/", {"email_updates": "on"})
    rows = list(Consent.objects.filter(supporter=huda, topic="petition_updates").order_by("pk"))
    assert [row.granted for row in rows] == [True, False]
    signature.refresh_from_db()
    assert signature.updates is False


def django_on_commit():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_one_click_unsubscribe_works_without_a_session_or_csrf_token(site_tree):
    huda = make_supporter("huda@example.org")
    Consent.objects.create(supporter=huda, topic="action_alerts", granted=True, wording="x", wording_version="v1",
                           source="test")  # fmt: skip
    url = unsubscribe_url(supporter=huda, topic="action_alerts")
    headers = unsubscribe_headers(url)
    assert headers == {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    path = url.split("://", 1)[1].split("/", 1)[1]
    client = Client(enforce_csrf_checks=True)
    # A person (or a link scanner) opening the link: a confirm button, nothing changed.
    page = client.get(f"/{path}")
    assert page.status_code == 200 and "Stop emails about: Invitations to act?" in page.content.decode()
    assert preferences_current(huda)["action_alerts"] is True
    # The mail provider's one-click POST (RFC 8058): no cookie, no CSRF token.
    response = client.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert preferences_current(huda)["action_alerts"] is False
    withdrawal = Consent.objects.filter(supporter=huda, topic="action_alerts").latest("pk")
    assert (withdrawal.granted, withdrawal.source) == (False, "unsubscribe")
    # Again: nothing more recorded.
    client.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert Consent.objects.filter(supporter=huda, topic="action_alerts").count() == 2
    # A tampered token changes nothing.
    assert client.post(f"/{path[:-3]}x/").status_code == 400
