"""Proposals as people meet them: the ranking page, proposing, voting, and staff moderating in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.proposals.models import Proposal, ProposalRound, ProposalVote
from campaigns.proposals.services import proposal_adopt, proposal_create
from tests.campaigns.test_proposals_fixtures import (
    committed,
    english,
    open_round,
    proposer,
    published,
    signed_in_client,
    voters,
)

__all__ = ["english", "open_round", "proposer", "voters"]  # fixtures

pytestmark = pytest.mark.django_db

RANKING = "/act/proposals/"
BODY = "Children walk two hours for water; a well would change that."


def test_the_ranking_page_is_public_in_both_languages(client, site_tree, open_round, proposer, voters):
    top = published(proposer, "Wells in every village")
    published(voters[0], "مدارس آمنة", language="ar")
    with committed():
        signed_in_client(voters[1]).post(f"{RANKING}{top.pk}/vote/")
    page = client.get(RANKING).content.decode()
    assert "1 vote" in page
    assert "2027 priorities" in page and "Open for votes" in page
    assert page.index("Wells in every village") < page.index("مدارس آمنة")
    assert "Sign in to vote" in page and "csrfmiddlewaretoken" not in page
    arabic = client.get(f"/ar{RANKING}").content.decode()
    assert 'dir="rtl"' in arabic and "أولويات 2027" in arabic


def test_a_signed_in_supporter_sees_their_remaining_votes_and_votes(site_tree, open_round, proposer, voters):
    proposal = published(proposer, "Wells in every village")
    browser = signed_in_client(voters[0])
    assert "You have 2 votes left." in browser.get(RANKING).content.decode()
    with committed():
        response = browser.post(f"{RANKING}{proposal.pk}/vote/")
    assert response.status_code == 302 and response["Location"] == f"{RANKING}#proposal-{proposal.pk}"
    page = browser.get(RANKING).content.decode()
    assert "Your vote is counted." in page
    assert "You have 1 vote left." in page and "You voted for this" in page and "1 vote" in page
    # A double submit changes nothing.
    with committed():
        browser.post(f"{RANKING}{proposal.pk}/vote/")
    assert ProposalVote.objects.count() == 1
    with committed():
        browser.post(f"{RANKING}{proposal.pk}/withdraw/")
    assert "You have 2 votes left." in browser.get(RANKING).content.decode()
    assert not ProposalVote.objects.exists()


def test_voting_needs_a_signed_in_supporter(client, site_tree, open_round, proposer):
    proposal = published(proposer, "Wells in every village")
    response = client.post(f"{RANKING}{proposal.pk}/vote/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/?next=")
    assert not ProposalVote.objects.exists()


def test_voting_errors_are_clear_and_write_nothing(site_tree, open_round, proposer, voters):
    pending = proposal_create(supporter=proposer, title="Not yet published", body=BODY)
    browser = signed_in_client(voters[0])
    browser.post(f"{RANKING}{pending.pk}/vote/")
    assert "This proposal is not open for votes." in browser.get(RANKING).content.decode()
    assert browser.post(f"{RANKING}999999/vote/").status_code == 404
    assert browser.post(f"{RANKING}abc/vote/").status_code == 404
    assert browser.get(f"{RANKING}{pending.pk}/vote/").status_code == 405
    proposals = [published(proposer, f"Proposal number {n}") for n in range(3)]
    for proposal in proposals:
        browser.post(f"{RANKING}{proposal.pk}/vote/")
    assert "You have used all 2 of your votes in this round." in browser.get(RANKING).content.decode()
    ProposalRound.objects.update(closes_at=timezone.now() - timedelta(seconds=1))
    browser.post(f"{RANKING}{proposals[0].pk}/withdraw/")
    assert "Voting in this round is closed." in browser.get(RANKING).content.decode()
    assert ProposalVote.objects.filter(supporter=voters[0]).count() == 2


def test_proposing_needs_sign_in_and_comes_back_after(client, site_tree, open_round):
    response = client.get("/act/proposals/new/")
    assert response["Location"] == "/account/sign-in/?next=%2Fact%2Fproposals%2Fnew%2F"


def test_a_supporter_proposes_and_sees_it_waiting(site_tree, open_round, proposer):
    browser = signed_in_client(proposer)
    response = browser.post("/act/proposals/new/", {"title": "Wells in every village", "body": BODY, "website": ""})
    proposal = Proposal.objects.get()
    assert response["Location"] == f"/act/proposals/{proposal.pk}/"
    page = browser.get(response["Location"]).content.decode()
    assert "Waiting for moderation" in page and "Only you can see this proposal" in page
    # Nobody else sees a pending proposal.
    assert (
        signed_in_client(proposer.__class__.objects.create(email="x@example.org"))
        .get(f"/act/proposals/{proposal.pk}/")
        .status_code
        == 404
    )
    assert "Wells in every village" in browser.get("/act/proposals/mine/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "body": BODY}, "Give your proposal a title."),
        ({"title": "t" * 141, "body": BODY}, "Keep the title short."),
        ({"title": "Wells", "body": ""}, "Tell us why it matters."),
        ({"title": "Wells in every village", "body": BODY, "website": "http://spam"}, "Leave this field empty."),
    ],
)
def test_bad_proposals_are_refused_with_an_error_summary(site_tree, open_round, proposer, data, message):
    response = signed_in_client(proposer).post("/act/proposals/new/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert not Proposal.objects.exists()


def test_a_duplicate_title_is_refused_on_the_form(site_tree, open_round, proposer):
    browser = signed_in_client(proposer)
    browser.post("/act/proposals/new/", {"title": "Wells in every village", "body": BODY})
    response = browser.post("/act/proposals/new/", {"title": "wells in every village", "body": BODY})
    assert response.status_code == 400
    assert "You have already proposed an issue with this title." in response.content.decode()
    assert Proposal.objects.count() == 1


def test_staff_moderate_in_the_admin_and_the_proposer_is_emailed(staff_client, site_tree, open_round, proposer):
    proposal = proposal_create(supporter=proposer, title="Wells in every village", body=BODY)
    listing = staff_client.get("/admin/proposals/proposals/")
    assert listing.status_code == 200 and "Wells in every village" in listing.content.decode()
    inspect = staff_client.get(f"/admin/proposals/proposals/inspect/{proposal.pk}/")
    assert inspect.status_code == 200 and "Moderate" in inspect.content.decode()
    url = f"/admin/proposals/staff/{proposal.pk}/moderate/"
    form = staff_client.get(url).content.decode()
    assert 'value="published"' in form and 'value="adopted"' not in form  # pending cannot be adopted directly
    with committed():
        response = staff_client.post(url, {"action": "published", "note": ""})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "published"
    assert mail.outbox[-1].to == ["proposer@example.org"]
    # The change, who made it and when are on the proposal's page.
    history = staff_client.get(f"/admin/proposals/proposals/inspect/{proposal.pk}/").content.decode()
    assert "editor" in history and "Published" in history


def test_adopting_in_the_admin_needs_a_campaign(staff_client, site_tree, open_round, proposer, campaign):
    proposal = published(proposer, "Wells in every village")
    url = f"/admin/proposals/staff/{proposal.pk}/moderate/"
    refused = staff_client.post(url, {"action": "adopted"})
    assert refused.status_code == 200 and "Choose the campaign" in refused.content.decode()
    with committed():
        staff_client.post(url, {"action": "adopted", "campaign": campaign.pk})
    proposal.refresh_from_db()
    assert (proposal.status, proposal.campaign_id) == ("adopted", campaign.pk)


def test_people_without_the_permission_cannot_moderate(client, site_tree, open_round, proposer, django_user_model):
    from django.contrib.auth.models import Permission

    editor = django_user_model.objects.create_user(username="viewer", password="x" * 16)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    proposal = proposal_create(supporter=proposer, title="Wells in every village", body=BODY)
    response = client.post(f"/admin/proposals/staff/{proposal.pk}/moderate/", {"action": "published"})
    assert response.status_code in (302, 403)
    assert Proposal.objects.get().status == "pending"


def test_the_campaign_page_lists_adopted_proposals_in_both_languages(
    client, site_tree, open_round, proposer, campaign, settings
):
    from tests.conftest import translate

    settings.PAGE_CACHE_SECONDS = 300  # the campaign page is cached for anonymous readers: adopting must clear it

    campaign_ar = translate(campaign, site_tree.arabic, title="مياه نظيفة الآن", hero_heading="مياه نظيفة")
    proposal = published(proposer, "Wells in every village")
    assert "Proposed by our members" not in client.get(campaign.url).content.decode()
    assert client.get(campaign.url)["X-Page-Cache"] == "hit"
    with committed():
        proposal_adopt(proposal_id=proposal.pk, campaign=campaign)
    page = client.get(campaign.url).content.decode()
    assert "Proposed by our members" in page and "Wells in every village" in page
    assert "Wells in every village" in client.get(campaign_ar.url).content.decode()
    ranking = client.get(f"/ar{RANKING}").content.decode()
    assert campaign_ar.url in ranking


def test_the_api_serves_the_ranking(client, site_tree, open_round, proposer, voters):
    proposal = published(proposer, "Wells in every village")
    with committed():
        signed_in_client(voters[0]).post(f"{RANKING}{proposal.pk}/vote/")
    data = client.get("/api/v1/proposals/ranking/?lang=ar").json()
    assert (data["round_name"], data["state"], data["votes_per_supporter"]) == ("أولويات 2027", "open", 2)
    assert [(row["title"], row["votes"], row["ready"]) for row in data["proposals"]] == [
        ("Wells in every village", 1, False)
    ]


def test_staff_set_up_a_round_and_a_wrong_one_is_refused(staff_client, site_tree):
    url = "/admin/proposals/rounds/new/"
    assert staff_client.get(url).status_code == 200
    data = {"name": "Spring", "name_ar": "الربيع", "opens_at": "2027-03-01 09:00", "closes_at": "2027-02-01 09:00",
            "votes_per_supporter": "3", "ready_threshold": "25"}  # fmt: skip
    refused = staff_client.post(url, data)
    assert refused.status_code == 200 and "A round must close after it opens." in refused.content.decode()
    assert not ProposalRound.objects.exists()
    staff_client.post(url, {**data, "closes_at": "2027-04-01 09:00"})
    assert ProposalRound.objects.get().ready_threshold == 25
