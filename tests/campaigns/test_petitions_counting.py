"""Counting: confirmed signatures are folded into counters and tallies; the public reads them from cache."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.petitions.models import MilestoneReached, PetitionTally, Signature
from campaigns.petitions.selectors import petition_count
from campaigns.petitions.services import (
    signature_confirm,
    signature_invalidate,
    signature_token,
    signatures_invalidate,
    signatures_recount,
)
from campaigns.petitions.tasks import petitions_mail_drain
from tests.campaigns.petition_fixtures import *  # noqa: F403
from tests.campaigns.petition_fixtures import sign

PLACES = [("JO", "", "Amman"), ("JO", "", "Irbid"), ("GB", "SW1A 1AA", ""), ("GB", "M1 2AB", ""), ("US", "10001", "")]


def confirm(signature: Signature) -> None:
    token = signature_token(
        signature_id=signature.pk, email_canonical=signature.email_canonical, created_at=signature.created_at
    )
    signature_confirm(signature_id=signature.pk, token=token)


def burst(petition, n: int) -> None:
    for i in range(n):
        country, postcode, city = PLACES[i % len(PLACES)]
        sign(petition, i, country=country, postcode=postcode, city=city)


def test_the_count_after_a_burst_and_a_drain_equals_the_confirmed_signatures(client, petition, fold):
    burst(petition, 40)
    assert petitions_mail_drain.delay().get() == 40
    pending = list(Signature.objects.order_by("pk"))
    for signature in pending[:31]:
        confirm(signature)
    # Nothing counts before the fold.
    assert petition_count(petition_id=petition.pk) == 0
    assert client.get(f"/act/petitions/{petition.pk}/count.json").json()["total"] == 0
    assert fold() == 31
    assert fold() == 0  # safe to run twice
    confirmed = Signature.objects.filter(status=Signature.Status.CONFIRMED)
    assert petition_count(petition_id=petition.pk) == confirmed.count() == 31
    data = client.get(f"/act/petitions/{petition.pk}/count.json").json()
    assert data["total"] == 31
    assert data["next_milestone"] == 10  # every milestone passed: the highest (the goal) shows full
    # Per country and per region, the tallies equal the confirmed signatures.
    expected_regions = Counter(confirmed.values_list("country", "region"))
    tallies = {(t.country, t.region): t.total for t in PetitionTally.objects.filter(petition=petition)}
    assert tallies == dict(expected_regions)
    assert set(expected_regions) == {("JO", "Amman"), ("JO", "Irbid"), ("GB", "SW1A"), ("GB", "M1"), ("US", "100")}
    regions = client.get(f"/act/petitions/{petition.pk}/regions.json").json()
    assert regions["total"] == 31
    by_country = {c["country"]: c for c in regions["countries"]}
    assert {code: c["total"] for code, c in by_country.items()} == dict(
        Counter(confirmed.values_list("country", flat=True))
    )
    assert by_country["GB"]["name"] == "United Kingdom"
    assert {r["region"]: r["total"] for r in by_country["JO"]["regions"]} == {
        "Amman": expected_regions[("JO", "Amman")],
        "Irbid": expected_regions[("JO", "Irbid")],
    }
    # The page shows the folded number.
    assert "31" in client.get(petition.url).content.decode()


def test_reading_the_count_costs_no_query_once_cached(client, petition, fold):
    burst(petition, 3)
    for signature in Signature.objects.all():
        confirm(signature)
    fold()
    client.get(f"/act/petitions/{petition.pk}/count.json")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/act/petitions/{petition.pk}/count.json").json()["total"] == 3
    assert len(queries) == 0


def test_signing_is_one_statement(petition):
    sign(petition, 0)  # warms the petition's cached state and the disposable list
    with CaptureQueriesContext(connection) as queries:
        sign(petition, 1)
    assert len(queries) == 1
    assert queries[0]["sql"].lstrip().upper().startswith("INSERT")


def test_staff_invalidation_by_ip_domain_and_window_recounts(petition, staff_user, fold):
    now = timezone.now()
    for i in range(6):
        sign(
            petition,
            i,
            ip="203.0.113.9" if i < 3 else f"198.51.100.{i}",
            email=f"s{i}@bots.example" if i == 3 else f"s{i}@example.org",
        )
    for signature in Signature.objects.all():
        confirm(signature)
    fold()
    assert petition_count(petition_id=petition.pk) == 6
    assert signatures_invalidate(petition=petition, ip="203.0.113.9", user=staff_user, reason="one address") == 3
    assert petition_count(petition_id=petition.pk) == 3
    assert signatures_invalidate(petition=petition, ip="203.0.113.9", user=staff_user, reason="again") == 0
    assert signatures_invalidate(petition=petition, domain="BOTS.example", user=staff_user, reason="domain") == 1
    assert petition_count(petition_id=petition.pk) == 2
    later = Signature.objects.get(email="s5@example.org")
    Signature.objects.filter(pk=later.pk).update(created_at=now + datetime.timedelta(hours=1))
    window = signatures_invalidate(
        petition=petition,
        since=now + datetime.timedelta(minutes=30),
        until=now + datetime.timedelta(hours=2),
        user=staff_user,
        reason="window",
    )
    assert window == 1
    assert petition_count(petition_id=petition.pk) == 1
    assert sum(PetitionTally.objects.filter(petition=petition).values_list("total", flat=True)) == 1
    gone = Signature.objects.get(email="s0@example.org")
    assert gone.status == Signature.Status.INVALIDATED
    assert gone.invalidated_by == staff_user
    assert gone.invalidated_reason == "one address"
    with pytest.raises(ValueError):
        signatures_invalidate(petition=petition, user=staff_user, reason="everything")
    last = Signature.objects.get(status=Signature.Status.CONFIRMED)
    assert signature_invalidate(signature=last, user=staff_user, reason="duplicate person")
    assert petition_count(petition_id=petition.pk) == 0


def test_invalidating_an_unfolded_signature_keeps_the_count_right(petition, staff_user, fold):
    sign(petition, 1, ip="203.0.113.1")
    sign(petition, 2, ip="203.0.113.2")
    for signature in Signature.objects.all():
        confirm(signature)
    signatures_invalidate(petition=petition, ip="203.0.113.1", user=staff_user, reason="bot")
    fold()
    assert petition_count(petition_id=petition.pk) == 1
    assert signatures_recount(petition=petition) == 1


def test_invalidated_people_may_not_block_a_real_signature(petition, staff_user):
    sign(petition, 1, ip="203.0.113.1")
    signatures_invalidate(petition=petition, ip="203.0.113.1", user=staff_user, reason="bot")
    sign(petition, 1, ip="198.51.100.1")
    assert Signature.objects.filter(status=Signature.Status.PENDING).count() == 1


def test_milestones_email_staff_and_opted_in_signers_once(petition, site_tree, settings, fold):
    from campaigns.petitions.models import AdvocacySettings

    advocacy = AdvocacySettings.for_site(site_tree.site)
    advocacy.milestone_notify_emails = "campaigns@example.org"
    advocacy.save()
    for i in range(4):
        sign(petition, i, updates=i != 1)
    for signature in Signature.objects.all():
        confirm(signature)
    mail.outbox.clear()
    fold()  # 4 signatures: the milestone of 3 is reached
    assert list(MilestoneReached.objects.values_list("count", flat=True)) == [3]
    staff = [m for m in mail.outbox if m.to == ["campaigns@example.org"]]
    signers = [m for m in mail.outbox if m.to != ["campaigns@example.org"]]
    assert len(staff) == 1 and "Milestone reached" in staff[0].subject
    assert sorted(m.to[0] for m in signers) == ["signer0@example.org", "signer2@example.org", "signer3@example.org"]
    assert "Three already!" in signers[0].body
    # A recount, a refold and a retried notification send nothing again.
    mail.outbox.clear()
    signatures_recount(petition=petition)
    fold()
    from campaigns.petitions.tasks import petitions_milestone_notify

    petitions_milestone_notify.delay(MilestoneReached.objects.get().pk)
    assert mail.outbox == []
    # The goal (10) is a milestone of its own.
    for i in range(10, 16):
        sign(petition, i)
    for signature in Signature.objects.filter(status=Signature.Status.PENDING):
        confirm(signature)
    fold()
    assert sorted(MilestoneReached.objects.values_list("count", flat=True)) == [3, 10]
    assert any("Goal reached" in m.subject for m in mail.outbox)


def test_the_wall_shows_first_names_and_cities_of_those_who_agreed(client, petition, fold):
    sign(petition, 1, name="Maya Haddad", city="Amman", public=True)
    sign(petition, 2, name="Omar Saleh", city="Zarqa", public=False)
    for signature in Signature.objects.all():
        confirm(signature)
    fold()
    body = client.get(petition.url).content.decode()
    assert "Maya" in body and "Amman" in body
    assert "Haddad" not in body
    assert "Omar" not in body and "Zarqa" not in body
    assert "signer1@example.org" not in body


def test_the_petition_counts_towards_its_campaign_goal(petition, fold):
    campaign = petition.get_parent().specific
    campaign.goal_kind = "signatures"
    campaign.goal_number = 100
    campaign.save()
    sign(petition, 1)
    confirm(Signature.objects.get())
    fold()
    assert campaign.progress().current == 1


def test_the_sign_request_costs_one_insert_and_nothing_else(client, petition, settings):
    """Without the intake (SQLite, no Redis: the embedded default); with it, see test_petitions_intake."""
    settings.PETITION_SIGN_BUFFERED = False
    url = f"/act/petitions/{petition.pk}/sign/"
    client.post(url, {"name": "Warm Up", "email": "warm@example.org", "country": "JO"})
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, {"name": "Maya Haddad", "email": "maya@example.org", "country": "JO"})
    assert response.status_code == 302
    assert [q["sql"].lstrip().split()[0].upper() for q in queries] == ["INSERT"]
    assert "Set-Cookie" not in response.headers  # no session, no message, no CSRF cookie
    api = f"/api/v1/petitions/{petition.pk}/signatures/"
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            api, {"name": "Omar Saleh", "email": "omar@example.org", "country": "EG"}, content_type="application/json"
        )
    assert response.status_code == 202
    assert [q["sql"].lstrip().split()[0].upper() for q in queries] == ["INSERT"]


def test_signers_can_stop_update_emails_with_one_click(client, petition, fold):
    from urllib.parse import urlsplit

    for i in range(3):
        sign(petition, i, updates=True)
    for signature in Signature.objects.all():
        confirm(signature)
    mail.outbox.clear()
    fold()  # the milestone of 3
    to_first = next(m for m in mail.outbox if m.to == ["signer0@example.org"])
    stop = to_first.extra_headers["List-Unsubscribe"].strip("<>")
    assert to_first.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert stop in to_first.body
    path = urlsplit(stop).path
    assert client.get(path).status_code == 200  # shows a button, changes nothing
    assert Signature.objects.get(email="signer0@example.org").updates is True
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    signature = Signature.objects.get(email="signer0@example.org")
    assert signature.updates is False
    assert signature.status == Signature.Status.CONFIRMED  # the signature still counts
    withdrawn = signature.supporter.consents.filter(topic="email_updates").first()
    assert withdrawn.granted is False
    assert client.post(path).status_code == 200  # twice changes nothing
    assert signature.supporter.consents.filter(topic="email_updates").count() == 2
    assert client.post(path[:-3] + "ab/").status_code == 404
    # The goal (10) later: signer 0 hears nothing more.
    for i in range(10, 17):
        sign(petition, i, updates=True)
    for s in Signature.objects.filter(status=Signature.Status.PENDING):
        confirm(s)
    mail.outbox.clear()
    fold()
    assert mail.outbox and all(m.to != ["signer0@example.org"] for m in mail.outbox)
