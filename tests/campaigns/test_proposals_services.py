"""Proposals: moderation, vote limits, the threshold, adoption and the ranking, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from campaigns.proposals.models import Proposal, ProposalRound, ProposalTransition, ProposalVote
from campaigns.proposals.selectors import proposal_ranking
from campaigns.proposals.services import (
    proposal_adopt,
    proposal_create,
    proposal_publish,
    proposal_reject,
    proposal_vote_cast,
    proposal_vote_counts_fold,
    proposal_vote_withdraw,
)
from supporters.models import Supporter
from tests.campaigns.test_proposals_fixtures import (
    committed,
    english,
    make_supporter,
    open_round,
    proposer,
    published,
    voters,
)

__all__ = ["english", "open_round", "proposer", "voters"]  # fixtures

pytestmark = pytest.mark.django_db

BODY = "Children walk two hours for water; a well would change that."


def vote(supporter, proposal):
    with committed():
        return proposal_vote_cast(supporter=supporter, proposal_id=proposal.pk)


# -- Proposing -------------------------------------------------------------------------------------------------


def test_a_verified_supporter_proposes_an_issue_that_waits_for_moderation(open_round, proposer):
    proposal = proposal_create(supporter=proposer, title="  Wells in   every village ", body=BODY, language="ar")
    assert (proposal.title, proposal.status, proposal.round, proposal.language) == (
        "Wells in every village",
        "pending",
        open_round,
        "ar",
    )
    assert list(proposal.transitions.values_list("from_status", "to_status", "by")) == [("", "pending", None)]
    assert proposal_ranking().proposals == []  # not public until published


def test_an_unverified_supporter_cannot_propose(open_round):
    stranger = Supporter.objects.create(email="unverified@example.org")
    with pytest.raises(ValidationError, match="confirmed email"):
        proposal_create(supporter=stranger, title="Wells everywhere", body=BODY)
    assert not Proposal.objects.exists()


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [("", BODY, "title"), ("   ", BODY, "title"), ("x" * 141, BODY, "title"), ("Fine title", "", "body"),
     ("Fine title", "too short", "body"), ("Fine title", "y" * 2001, "body")],
)  # fmt: skip
def test_empty_or_overlong_input_is_refused_clearly(open_round, proposer, title, body, field):
    with pytest.raises(ValidationError) as error:
        proposal_create(supporter=proposer, title=title, body=body)
    assert field in error.value.message_dict
    assert not Proposal.objects.exists()


def test_the_same_title_twice_from_one_supporter_is_refused(open_round, proposer, voters):
    proposal_create(supporter=proposer, title="Wells in every village", body=BODY)
    with pytest.raises(ValidationError) as error:
        proposal_create(supporter=proposer, title="WELLS in  every village", body=BODY + " Again.")
    assert error.value.message_dict["title"] == ["You have already proposed an issue with this title."]
    assert Proposal.objects.count() == 1
    # Someone else may propose the same issue.
    proposal_create(supporter=voters[0], title="Wells in every village", body=BODY)
    assert Proposal.objects.count() == 2


def test_proposals_join_the_next_round_when_none_is_open_and_are_refused_when_none_is_coming(proposer):
    with pytest.raises(ValidationError, match="no round"):
        proposal_create(supporter=proposer, title="Wells in every village", body=BODY)
    later = ProposalRound.objects.create(
        name="Next", opens_at=timezone.now() + timedelta(days=3), closes_at=timezone.now() + timedelta(days=9)
    )
    assert proposal_create(supporter=proposer, title="Wells in every village", body=BODY).round == later


# -- Moderation ------------------------------------------------------------------------------------------------


def test_publishing_records_who_and_when_and_emails_the_proposer_in_their_language(open_round, staff_user):
    arabic_speaker = make_supporter("huda@example.org", language="ar")
    proposal = proposal_create(supporter=arabic_speaker, title="آبار في كل قرية", body=BODY, language="ar")
    with committed():
        proposal_publish(proposal_id=proposal.pk, user=staff_user)
    proposal.refresh_from_db()
    assert proposal.status == "published" and proposal.published_at is not None
    change = proposal.transitions.last()
    assert (change.from_status, change.to_status, change.by) == ("pending", "published", staff_user)
    assert change.notified_at is not None
    assert [message.to for message in mail.outbox] == [["huda@example.org"]]
    with translation.override("ar"):
        assert "آبار في كل قرية" in mail.outbox[0].body
    assert "/ar/act/proposals/" in mail.outbox[0].body
    assert mail.outbox[0].subject == "نُشر اقتراحك"


def test_publishing_twice_changes_nothing_and_sends_one_email(open_round, proposer, staff_user):
    proposal = proposal_create(supporter=proposer, title="Wells in every village", body=BODY)
    with committed():
        proposal_publish(proposal_id=proposal.pk, user=staff_user)
        proposal_publish(proposal_id=proposal.pk, user=staff_user)
    assert proposal.transitions.count() == 2  # created, published
    assert len(mail.outbox) == 1


def test_rejecting_sends_the_note_and_ends_the_proposal(open_round, proposer, staff_user):
    proposal = proposal_create(supporter=proposer, title="Wells in every village", body=BODY)
    with committed():
        proposal_reject(proposal_id=proposal.pk, user=staff_user, note="We already run this campaign.")
    proposal.refresh_from_db()
    assert proposal.status == "rejected" and proposal.decided_at is not None
    assert "We already run this campaign." in mail.outbox[0].body
    assert mail.outbox[0].subject == "About your proposal"
    with pytest.raises(ValidationError, match="cannot become"):
        proposal_publish(proposal_id=proposal.pk, user=staff_user)
    assert Proposal.objects.get().status == "rejected"


def test_a_pending_proposal_cannot_be_adopted_directly(open_round, proposer, staff_user, campaign):
    proposal = proposal_create(supporter=proposer, title="Wells in every village", body=BODY)
    with pytest.raises(ValidationError, match="cannot become"):
        proposal_adopt(proposal_id=proposal.pk, campaign=campaign, user=staff_user)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.campaign) == ("pending", None)
    assert ProposalTransition.objects.filter(to_status="adopted").count() == 0


def test_an_unknown_proposal_id_is_refused(open_round, staff_user):
    with pytest.raises(ValidationError, match="no such proposal"):
        proposal_publish(proposal_id=999_999, user=staff_user)


# -- Votes -----------------------------------------------------------------------------------------------------


def test_one_vote_per_supporter_per_proposal(open_round, proposer, voters):
    proposal = published(proposer, "Wells in every village")
    first = vote(voters[0], proposal)
    again = vote(voters[0], proposal)
    assert first.pk == again.pk
    assert ProposalVote.objects.count() == 1
    proposal.refresh_from_db()
    assert proposal.vote_count == 1


def test_the_round_limit_is_enforced_and_a_withdrawn_vote_can_be_given_again(open_round, proposer, voters):
    one, two, three = (published(proposer, f"Proposal number {n}") for n in (1, 2, 3))
    vote(voters[0], one)
    vote(voters[0], two)
    with pytest.raises(ValidationError, match="all 2 of your votes"):
        vote(voters[0], three)
    assert ProposalVote.objects.filter(supporter=voters[0]).count() == 2
    with committed():
        assert proposal_vote_withdraw(supporter=voters[0], proposal_id=one.pk) is True
    vote(voters[0], three)
    assert set(ProposalVote.objects.filter(supporter=voters[0]).values_list("proposal__title", flat=True)) == {
        "Proposal number 2",
        "Proposal number 3",
    }
    one.refresh_from_db()
    assert one.vote_count == 0


def test_no_votes_in_a_closed_round_and_no_withdrawing_either(open_round, proposer, voters):
    proposal = published(proposer, "Wells in every village")
    vote(voters[0], proposal)
    ProposalRound.objects.filter(pk=open_round.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="closed"):
        vote(voters[1], proposal)
    with pytest.raises(ValidationError, match="closed"):
        proposal_vote_withdraw(supporter=voters[0], proposal_id=proposal.pk)
    assert ProposalVote.objects.count() == 1


def test_no_votes_on_an_unpublished_or_unknown_proposal(open_round, proposer, voters):
    pending = proposal_create(supporter=proposer, title="Wells in every village", body=BODY)
    with pytest.raises(ValidationError, match="not open for votes"):
        vote(voters[0], pending)
    for bad in (999_999, "1 OR 1=1", None, "-1"):
        with pytest.raises(ValidationError, match="no such proposal"):
            proposal_vote_cast(supporter=voters[0], proposal_id=bad)
    assert not ProposalVote.objects.exists()


def test_an_unverified_supporter_cannot_vote(open_round, proposer):
    proposal = published(proposer, "Wells in every village")
    stranger = Supporter.objects.create(email="unverified@example.org")
    with pytest.raises(ValidationError, match="confirmed email"):
        vote(stranger, proposal)
    assert not ProposalVote.objects.exists()


# -- Threshold, ranking and adoption -------------------------------------------------------------------------


def test_the_threshold_marks_a_proposal_ready_for_decision(open_round, proposer, voters):
    proposal = published(proposer, "Wells in every village")
    vote(voters[0], proposal)
    proposal.refresh_from_db()
    assert (proposal.vote_count, proposal.is_ready, proposal.ready_at) == (1, False, None)
    vote(voters[1], proposal)
    proposal.refresh_from_db()
    assert proposal.is_ready and proposal.ready_at is not None
    assert proposal_ranking().proposals[0].ready is True
    # Staff raise the threshold: it no longer is.
    open_round.ready_threshold = 3
    open_round.save()
    assert proposal_vote_counts_fold(round_id=open_round.pk) == 1
    proposal.refresh_from_db()
    assert proposal.ready_at is None
    assert proposal_ranking().proposals[0].ready is False


def test_the_ranking_orders_published_proposals_by_votes(open_round, proposer, voters):
    low = published(proposer, "Fewest votes")
    high = published(proposer, "Most votes")
    middle = published(proposer, "Some votes")
    published(voters[2], "No votes yet")
    hidden = proposal_create(supporter=proposer, title="Still pending", body=BODY)
    for supporter in voters:
        vote(supporter, high)
    vote(voters[0], middle)
    vote(voters[1], middle)
    vote(voters[2], low)
    ranking = proposal_ranking()
    assert [(row.title, row.votes) for row in ranking.proposals] == [
        ("Most votes", 3),
        ("Some votes", 2),
        ("Fewest votes", 1),
        ("No votes yet", 0),
    ]
    assert hidden.pk not in {row.id for row in ranking.proposals}
    assert (ranking.round_name, ranking.state, ranking.votes_per_supporter) == ("2027 priorities", "open", 2)
    with translation.override("ar"):
        assert proposal_ranking().round_name == "أولويات 2027"


def test_the_ranking_is_served_from_the_cache_without_counting(open_round, proposer, voters, django_assert_num_queries):
    proposal = published(proposer, "Wells in every village")
    vote(voters[0], proposal)
    proposal_ranking()  # warms the cache
    with django_assert_num_queries(0):
        ranking = proposal_ranking()
    assert ranking.proposals[0].votes == 1


def test_adoption_links_the_proposal_to_the_campaign_and_tells_the_proposer(
    open_round, proposer, voters, staff_user, campaign
):
    proposal = published(proposer, "Wells in every village")
    mail.outbox.clear()
    with committed():
        proposal_adopt(proposal_id=proposal.pk, campaign=campaign, user=staff_user, note="Starting in Mafraq.")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.campaign, proposal.decision_note) == ("adopted", campaign, "Starting in Mafraq.")
    assert list(proposal.transitions.values_list("to_status", flat=True)) == ["pending", "published", "adopted"]
    assert proposal.transitions.last().by == staff_user
    assert mail.outbox[0].subject == "We have adopted your proposal"
    assert "/clean-water/" in mail.outbox[0].body
    row = proposal_ranking().proposals[0]
    assert (row.status, row.campaign_title) == ("adopted", "Clean water now")
    # Adopted proposals take no more votes.
    with pytest.raises(ValidationError, match="not open for votes"):
        vote(voters[0], proposal)


def test_adoption_needs_a_campaign(open_round, proposer, staff_user):
    proposal = published(proposer, "Wells in every village")
    with pytest.raises(ValidationError):
        proposal_adopt(proposal_id=proposal.pk, campaign=None, user=staff_user)
    assert Proposal.objects.get().status == "published"


def test_a_vote_never_touches_the_proposal_row_the_periodic_fold_counts_it(open_round, proposer, voters):
    from campaigns.proposals.tasks import proposal_vote_counts_fold as periodic_fold

    proposal = published(proposer, "Wells in every village")
    before = Proposal.objects.values_list("vote_count", "updated_at").get(pk=proposal.pk)
    for supporter in voters:
        proposal_vote_cast(supporter=supporter, proposal_id=proposal.pk)  # no commit: no fold yet
    assert Proposal.objects.values_list("vote_count", "updated_at").get(pk=proposal.pk) == before
    assert periodic_fold.delay().get() == 1  # what beat runs every minute: every open round
    proposal.refresh_from_db()
    assert (proposal.vote_count, proposal.is_ready) == (3, True)
    assert periodic_fold.delay().get() == 0  # nothing changed since: nothing written
