"""Proposals: every write. Keyword-only, typed; states change under row locks and are recorded.

Moderation is a small state machine::

    pending ──► published ──► adopted (into a campaign)
       │            │
       └────────────┴──────► rejected

Each change is a ProposalTransition (from, to, who, when, note), and the
proposer is emailed, in their language, when their proposal is published,
rejected or adopted. Asking for the state a proposal is already in changes
nothing and sends nothing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import CampaignPage
from campaigns.proposals.models import (
    BODY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Proposal,
    ProposalRound,
    ProposalTransition,
    ProposalVote,
)
from campaigns.proposals.selectors import ranking_cache_clear, round_for_new_proposals
from cms.page_cache import page_cache_clear
from supporters.models import Supporter

Status = Proposal.Status
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING: {Status.PUBLISHED, Status.REJECTED},
    Status.PUBLISHED: {Status.REJECTED, Status.ADOPTED},
    Status.REJECTED: set(),
    Status.ADOPTED: set(),
}
TITLE_MIN_LENGTH = 5
BODY_MIN_LENGTH = 20


def title_key(title: str) -> str:
    """How titles compare for duplicates: Unicode-normalised, case-folded, spaces collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", title)).strip().casefold()[:TITLE_MAX_LENGTH]


def _verified(supporter: Supporter | None) -> Supporter:
    if supporter is None or supporter.pk is None or supporter.email_verified_at is None:
        raise ValidationError(_("Sign in with a confirmed email address first."), code="not_verified")
    return supporter


def proposal_create(*, supporter: Supporter, title: str, body: str, language: str = "en") -> Proposal:
    """A verified supporter proposes an issue. It waits for moderation; the same title twice is refused."""
    _verified(supporter)
    title = " ".join((title or "").split())
    body = (body or "").strip()
    errors: dict[str, list[str]] = {}
    if len(title) < TITLE_MIN_LENGTH:
        errors["title"] = [_("Give your proposal a title of at least %(n)d characters.") % {"n": TITLE_MIN_LENGTH}]
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [_("Keep the title to %(n)d characters or fewer.") % {"n": TITLE_MAX_LENGTH}]
    if len(body) < BODY_MIN_LENGTH:
        errors["body"] = [_("Tell us why it matters in at least %(n)d characters.") % {"n": BODY_MIN_LENGTH}]
    elif len(body) > BODY_MAX_LENGTH:
        errors["body"] = [_("Keep it to %(n)d characters or fewer.") % {"n": BODY_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    round_ = round_for_new_proposals()
    if round_ is None:
        raise ValidationError(_("Proposals are closed: there is no round open or coming up."), code="no_round")
    key = title_key(title)
    duplicate = ValidationError({"title": [_("You have already proposed an issue with this title.")]}, code="duplicate")
    if Proposal.objects.filter(supporter=supporter, title_key=key).exists():
        raise duplicate
    try:
        with transaction.atomic():
            proposal = Proposal.objects.create(
                round=round_,
                supporter=supporter,
                title=title,
                title_key=key,
                body=body,
                language=(language or "en")[:8],
            )
            ProposalTransition.objects.create(proposal=proposal, from_status="", to_status=Status.PENDING)
    except IntegrityError:  # the same title submitted twice at once
        raise duplicate from None
    return proposal


def proposal_transition(
    *,
    proposal_id: int,
    to_status: str,
    user: Any = None,
    note: str = "",
    campaign: CampaignPage | None = None,
) -> Proposal:
    """Move a proposal to ``to_status`` under a row lock, record who and when, and email the proposer."""
    if to_status not in ALLOWED_TRANSITIONS:
        raise ValidationError(_("Unknown status."), code="bad_status")
    note = (note or "").strip()[:2000]
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
        if proposal is None:
            raise ValidationError(_("There is no such proposal."), code="not_found")
        same_campaign = campaign is None or proposal.campaign_id == campaign.pk
        if proposal.status == to_status and (to_status != Status.ADOPTED or same_campaign):
            return proposal  # already there: nothing changes, nothing is sent twice
        if to_status not in ALLOWED_TRANSITIONS[proposal.status]:
            raise ValidationError(
                _("A proposal that is %(current)s cannot become %(target)s.")
                % {"current": proposal.get_status_display().lower(), "target": Status(to_status).label.lower()},
                code="not_allowed",
            )
        now = timezone.now()
        fields = ["status", "updated_at"]
        if to_status == Status.ADOPTED:
            if campaign is None or not isinstance(campaign, CampaignPage):
                raise ValidationError({"campaign": [_("Choose the campaign that takes this proposal up.")]})
            proposal.campaign = campaign
            fields.append("campaign")
        if to_status == Status.PUBLISHED:
            proposal.published_at = now
            fields.append("published_at")
        if to_status in (Status.REJECTED, Status.ADOPTED):
            proposal.decided_at = now
            proposal.decision_note = note
            fields += ["decided_at", "decision_note"]
        previous = proposal.status
        proposal.status = to_status
        proposal.save(update_fields=fields)
        user = user if getattr(user, "pk", None) else None
        change = ProposalTransition.objects.create(
            proposal=proposal, from_status=previous, to_status=to_status, by=user, note=note, at=now
        )
        from campaigns.proposals.tasks import proposal_decision_notify

        proposal_decision_notify.delay_on_commit(change.pk)
        transaction.on_commit(ranking_cache_clear)
        if to_status == Status.ADOPTED or previous == Status.ADOPTED:
            transaction.on_commit(page_cache_clear)  # the campaign page lists adopted proposals
    return proposal


def proposal_publish(*, proposal_id: int, user: Any = None, note: str = "") -> Proposal:
    return proposal_transition(proposal_id=proposal_id, to_status=Status.PUBLISHED, user=user, note=note)


def proposal_reject(*, proposal_id: int, user: Any = None, note: str = "") -> Proposal:
    return proposal_transition(proposal_id=proposal_id, to_status=Status.REJECTED, user=user, note=note)


def proposal_adopt(*, proposal_id: int, campaign: CampaignPage, user: Any = None, note: str = "") -> Proposal:
    return proposal_transition(
        proposal_id=proposal_id, to_status=Status.ADOPTED, user=user, note=note, campaign=campaign
    )


def _votable(proposal_id: Any) -> Proposal:
    try:
        pk = int(proposal_id)
    except (TypeError, ValueError):
        raise ValidationError(_("There is no such proposal."), code="not_found") from None
    proposal = Proposal.objects.select_related("round").filter(pk=pk).first()
    if proposal is None:
        raise ValidationError(_("There is no such proposal."), code="not_found")
    if proposal.status != Status.PUBLISHED:
        raise ValidationError(_("This proposal is not open for votes."), code="not_published")
    if not proposal.round.is_open:
        raise ValidationError(_("Voting in this round is closed."), code="round_closed")
    return proposal


def proposal_vote_cast(*, supporter: Supporter, proposal_id: Any) -> ProposalVote:
    """One vote for a published proposal in an open round, within the round's limit; a repeat changes nothing."""
    _verified(supporter)
    with transaction.atomic():
        # The supporter's row is the lock that keeps two votes at once from passing the limit together.
        Supporter.objects.select_for_update().filter(pk=supporter.pk).first()
        proposal = _votable(proposal_id)
        existing = ProposalVote.objects.filter(proposal=proposal, supporter=supporter).first()
        if existing is not None:
            return existing
        used = ProposalVote.objects.filter(round=proposal.round, supporter=supporter).count()
        if used >= proposal.round.votes_per_supporter:
            raise ValidationError(
                _("You have used all %(n)d of your votes in this round. Withdraw one to vote for this.")
                % {"n": proposal.round.votes_per_supporter},
                code="over_limit",
            )
        try:
            with transaction.atomic():
                vote = ProposalVote.objects.create(proposal=proposal, supporter=supporter, round=proposal.round)
        except IntegrityError:  # the same vote submitted twice at once
            return ProposalVote.objects.get(proposal=proposal, supporter=supporter)
        transaction.on_commit(lambda: proposal_vote_counts_schedule(round_id=proposal.round_id))
    return vote


def proposal_vote_withdraw(*, supporter: Supporter, proposal_id: Any) -> bool:
    """Take back a vote while the round is open. False if there was none."""
    _verified(supporter)
    with transaction.atomic():
        Supporter.objects.select_for_update().filter(pk=supporter.pk).first()
        try:
            pk = int(proposal_id)
        except (TypeError, ValueError):
            raise ValidationError(_("There is no such proposal."), code="not_found") from None
        vote = ProposalVote.objects.select_related("round").filter(proposal_id=pk, supporter=supporter).first()
        if vote is None:
            return False
        if not vote.round.is_open:
            raise ValidationError(_("Voting in this round is closed."), code="round_closed")
        round_id = vote.round_id
        vote.delete()
        transaction.on_commit(lambda: proposal_vote_counts_schedule(round_id=round_id))
    return True


def proposal_vote_counts_schedule(*, round_id: int) -> None:
    """Fold the round's counts soon: at once when tasks run eagerly, else at most once per PROPOSALS_FOLD_SECONDS."""
    from django.conf import settings

    from campaigns.proposals.tasks import proposal_vote_counts_fold

    if proposal_vote_counts_fold.app.conf.task_always_eager:
        proposal_vote_counts_fold.delay(round_id)
        return
    if cache.add(f"proposals:fold-scheduled:{round_id}", 1, timeout=settings.PROPOSALS_FOLD_SECONDS):
        proposal_vote_counts_fold.apply_async(args=[round_id], countdown=settings.PROPOSALS_FOLD_SECONDS)


def proposal_vote_counts_fold(*, round_id: int) -> int:
    """Write each proposal's vote count from its vote rows (one indexed aggregate), and mark or clear
    "ready for decision" against the round's threshold. Returns how many proposals changed."""
    round_ = ProposalRound.objects.filter(pk=round_id).first()
    if round_ is None:
        return 0
    counts = dict(
        ProposalVote.objects.filter(round_id=round_id)
        .values("proposal_id")
        .annotate(n=Count("id"))
        .values_list("proposal_id", "n")
    )
    now = timezone.now()
    changed = 0
    with transaction.atomic():
        for proposal in Proposal.objects.select_for_update().filter(round_id=round_id):
            votes = counts.get(proposal.pk, 0)
            ready_at = (proposal.ready_at or now) if votes >= round_.ready_threshold else None
            if votes != proposal.vote_count or ready_at != proposal.ready_at:
                Proposal.objects.filter(pk=proposal.pk).update(vote_count=votes, ready_at=ready_at, counted_at=now)
                changed += 1
    if changed:
        transaction.on_commit(ranking_cache_clear)
    return changed


def proposal_vote_counts_fold_open_rounds() -> int:
    """The periodic fold: every round open now or closed within the last day."""
    since = timezone.now() - timedelta(days=1)
    changed = 0
    for round_id in ProposalRound.objects.filter(opens_at__lte=timezone.now(), closes_at__gt=since).values_list(
        "pk", flat=True
    ):
        changed += proposal_vote_counts_fold(round_id=round_id)
    return changed
