"""The proposals demo: an open round with published proposals in both languages, votes and an adoption."""

from __future__ import annotations

import pytest
from django.utils import translation

from campaigns import demo as campaigns_demo
from campaigns.proposals.models import Proposal, ProposalVote
from campaigns.proposals.selectors import proposal_ranking
from cms import demo as cms_demo
from cms.demo import DemoReport

pytestmark = pytest.mark.django_db


def test_the_demo_makes_a_round_worth_looking_at_and_a_rerun_adds_nothing(client):
    cms_demo.load_demo(DemoReport())
    campaigns_demo.load_demo(DemoReport())
    with translation.override("en"):  # the campaign's title is shown in the reader's language
        ranking = proposal_ranking()
    assert ranking.state == "open"
    assert {row.language for row in ranking.proposals} == {"en", "ar"}
    votes = [row.votes for row in ranking.proposals]
    assert votes == sorted(votes, reverse=True) and votes[0] == 12
    assert ranking.proposals[0].status == "adopted" and ranking.proposals[0].campaign_title == "Clean water now"
    assert Proposal.objects.filter(status="pending").count() == 1
    page = client.get("/ar/act/proposals/").content.decode()
    assert "صيانة الآبار القديمة" in page and "أولوياتنا للعام القادم" in page
    counts = (Proposal.objects.count(), ProposalVote.objects.count())
    again = DemoReport()
    campaigns_demo.load_demo(again)
    assert (Proposal.objects.count(), ProposalVote.objects.count()) == counts
    assert not [line for line in again.created if "proposal" in line]
