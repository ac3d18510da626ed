"""Demo data for proposals: an open round with published proposals in English and Arabic, votes,
one adopted into the demo campaign and one waiting for moderation (only what is missing is made)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from campaigns.proposals.models import Proposal, ProposalRound, ProposalVote
from campaigns.proposals.services import (
    proposal_adopt,
    proposal_create,
    proposal_publish,
    proposal_vote_cast,
    proposal_vote_counts_fold,
)
from cms.demo import DemoReport
from supporters.models import Supporter
from supporters.services import supporter_for_email

ROUND = {"name": "Our priorities for next year", "name_ar": "أولوياتنا للعام القادم"}
PROPOSERS = [
    ("mariam.demo@example.org", "Mariam Saleh", "en"),
    ("yousef.demo@example.org", "يوسف النمر", "ar"),
    ("sara.demo@example.org", "Sara Odeh", "en"),
]
# (proposer index, language, title, why it matters, what staff did, votes)
PROPOSALS = [
    (0, "en", "Rainwater tanks for every school",
     "Schools in the east close on the hottest days because there is no water. A tank on each roof would keep them "
     "open and teach children to save water.", "published", 9),
    (1, "ar", "صيانة الآبار القديمة قبل حفر آبار جديدة",
     "كثير من الآبار في القرى متوقفة بسبب أعطال بسيطة. إصلاحها أرخص وأسرع من حفر آبار جديدة، ويعيد الماء إلى الناس "
     "خلال أسابيع.", "published", 7),
    (2, "en", "Water quality tests published monthly",
     "Families do not know whether the water from the network is safe to drink. Publishing test results every month "
     "would build trust and push the utility to act.", "adopted", 12),
    (1, "ar", "تدريب النساء على إدارة لجان المياه",
     "النساء يحملن الماء إلى البيوت ولكنهن غائبات عن لجان المياه في القرى. تدريبهن يمنح المجتمعات قيادة أقرب إلى "
     "احتياجاتها.", "published", 3),
    (0, "en", "A hotline for reporting broken pipes",
     "Leaks go unreported for weeks. A free number and a text line would let anyone report a broken pipe in a "
     "minute.", "pending", 0),
]  # fmt: skip
VOTERS = 14


def load_demo(context: Any, report: DemoReport) -> None:
    """Called by campaigns.demo.load_demo with the campaign, its translation, the targets and locales."""
    round_ = ProposalRound.objects.filter(name=ROUND["name"]).first()
    if round_ is None:
        now = timezone.now()
        round_ = ProposalRound.objects.create(
            **ROUND,
            opens_at=now - timedelta(days=10),
            closes_at=now + timedelta(days=60),
            votes_per_supporter=3,
            ready_threshold=10,
        )
        report.add(f"proposal round: {round_.name}")
    verified = timezone.now()
    proposers = []
    for email, name, language in PROPOSERS:
        supporter = supporter_for_email(email=email, name=name, language=language)
        if supporter.email_verified_at is None:
            Supporter.objects.filter(pk=supporter.pk).update(email_verified_at=verified)
            supporter.refresh_from_db()
        proposers.append(supporter)
    voters = []
    for number in range(VOTERS):
        supporter = supporter_for_email(email=f"voter{number:02d}.demo@example.org", language="en")
        if supporter.email_verified_at is None:
            Supporter.objects.filter(pk=supporter.pk).update(email_verified_at=verified)
            supporter.refresh_from_db()
        voters.append(supporter)
    for who, language, title, body, outcome, votes in PROPOSALS:
        proposal = Proposal.objects.filter(supporter=proposers[who], title=title).first()
        if proposal is not None:
            continue
        proposal = proposal_create(supporter=proposers[who], title=title, body=body, language=language)
        report.add(f"proposal: {title}")
        if outcome == "pending":
            continue
        proposal_publish(proposal_id=proposal.pk)
        # Each voter has three votes: spread them so no one passes the round's limit.
        chosen = [voter for voter in voters if ProposalVote.objects.filter(supporter=voter, round=round_).count() < 3]
        for voter in chosen[:votes]:
            proposal_vote_cast(supporter=voter, proposal_id=proposal.pk)
        if outcome == "adopted" and context.campaign is not None:
            proposal_vote_counts_fold(round_id=round_.pk)
            proposal_adopt(
                proposal_id=proposal.pk,
                campaign=context.campaign,
                note="We are starting with the villages around Mafraq.",
            )
    proposal_vote_counts_fold(round_id=round_.pk)
