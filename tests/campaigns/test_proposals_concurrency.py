"""Votes sent at the same moment on PostgreSQL: the round's limit and one vote per proposal still hold."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import timezone

from campaigns.proposals.models import ProposalRound, ProposalVote
from campaigns.proposals.services import proposal_create, proposal_publish, proposal_vote_cast
from supporters.models import Supporter

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def at_once(calls) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test looks at
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def setup():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    now = timezone.now()
    round_ = ProposalRound.objects.create(
        name="Now", opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1), votes_per_supporter=2
    )
    proposer = Supporter.objects.create(email="p@example.org", email_verified_at=now)
    voter = Supporter.objects.create(email="v@example.org", email_verified_at=now)
    proposals = []
    for n in range(4):
        proposal = proposal_create(supporter=proposer, title=f"Proposal number {n}", body="Why it matters, at length.")
        proposals.append(proposal_publish(proposal_id=proposal.pk))
    return round_, voter, proposals


def test_votes_at_once_never_pass_the_limit(setup):
    _round, voter, proposals = setup
    results = at_once([lambda p=p: proposal_vote_cast(supporter=voter, proposal_id=p.pk) for p in proposals])
    assert ProposalVote.objects.filter(supporter=voter).count() == 2
    assert sum(isinstance(result, ValidationError) for result in results) == 2


def test_the_same_vote_four_times_at_once_is_one_vote(setup):
    _round, voter, proposals = setup
    results = at_once([lambda: proposal_vote_cast(supporter=voter, proposal_id=proposals[0].pk)] * 4)
    assert ProposalVote.objects.filter(supporter=voter).count() == 1
    assert all(isinstance(result, ProposalVote) for result in results)
