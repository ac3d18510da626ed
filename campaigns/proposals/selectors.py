"""Proposals: reads shared by views, the API and templates.

The public ranking is built from the folded ``vote_count`` column (never a
COUNT per request) and kept in the cache for PROPOSALS_RANKING_CACHE_SECONDS;
every fold and every moderation decision bumps a version number, so a reader
sees a change at once on the next request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import get_language

from campaigns.proposals.models import Proposal, ProposalRound, ProposalVote
from supporters.models import Supporter

RANKING_VERSION_KEY = "proposals:ranking:version"
RANKED_STATUSES = (Proposal.Status.PUBLISHED, Proposal.Status.ADOPTED)


def ranking_version() -> int:
    value = cache.get(RANKING_VERSION_KEY)
    if value is None:
        cache.add(RANKING_VERSION_KEY, time.time_ns() // 1000, timeout=None)
        value = cache.get(RANKING_VERSION_KEY)
    return int(value)


def ranking_cache_clear() -> None:
    """Make every cached ranking stale (after a fold or a moderation decision)."""
    try:
        cache.incr(RANKING_VERSION_KEY)
    except ValueError:
        cache.add(RANKING_VERSION_KEY, time.time_ns() // 1000, timeout=None)


def round_open(now: Any = None) -> ProposalRound | None:
    now = now or timezone.now()
    return ProposalRound.objects.filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at").first()


def round_for_new_proposals(now: Any = None) -> ProposalRound | None:
    """The round a proposal made now joins: the open one, else the next to open."""
    now = now or timezone.now()
    return round_open(now) or ProposalRound.objects.filter(opens_at__gt=now).order_by("opens_at").first()


def round_for_ranking(now: Any = None) -> ProposalRound | None:
    """The round the ranking page shows: the open one, else the last to close, else the next to open."""
    now = now or timezone.now()
    return (
        round_open(now)
        or ProposalRound.objects.filter(closes_at__lte=now).order_by("-closes_at").first()
        or ProposalRound.objects.filter(opens_at__gt=now).order_by("opens_at").first()
    )


@dataclass(frozen=True)
class RankedProposal:
    id: int
    title: str
    short_body: str
    language: str
    status: str
    status_label: str
    votes: int
    ready: bool
    campaign_url: str = ""
    campaign_title: str = ""


@dataclass(frozen=True)
class Ranking:
    round_id: int | None
    round_name: str
    state: str
    opens_at: Any
    closes_at: Any
    votes_per_supporter: int
    ready_threshold: int
    proposals: list[RankedProposal] = field(default_factory=list)


def _campaign_in_language(page: Any, language: str) -> Any:
    if page is None:
        return None
    translated = page.get_translations(inclusive=True).live().filter(locale__language_code=language).first()
    return (translated or page).specific


def _build_ranking(round_: ProposalRound | None, language: str) -> Ranking:
    if round_ is None:
        return Ranking(None, "", "", None, None, 0, 0, [])
    proposals = (
        Proposal.objects.filter(round=round_, status__in=RANKED_STATUSES)
        .select_related("campaign")
        .order_by("-vote_count", "published_at", "pk")
    )
    ranked = []
    for proposal in proposals:
        campaign = _campaign_in_language(proposal.campaign, language) if proposal.campaign_id else None
        ranked.append(
            RankedProposal(
                id=proposal.pk,
                title=proposal.title,
                short_body=proposal.short_body,
                language=proposal.language,
                status=proposal.status,
                status_label=str(proposal.get_status_display()),
                votes=proposal.vote_count,
                ready=proposal.vote_count >= round_.ready_threshold,
                campaign_url=campaign.url if campaign is not None else "",
                campaign_title=campaign.title if campaign is not None else "",
            )
        )
    return Ranking(
        round_id=round_.pk,
        round_name=round_.display_name,
        state=round_.state,
        opens_at=round_.opens_at,
        closes_at=round_.closes_at,
        votes_per_supporter=round_.votes_per_supporter,
        ready_threshold=round_.ready_threshold,
        proposals=ranked,
    )


def proposal_ranking(*, language: str | None = None) -> Ranking:
    """The current round and its published proposals by votes, from the cache when it is current."""
    language = (language or get_language() or settings.LANGUAGE_CODE)[:2]
    seconds = settings.PROPOSALS_RANKING_CACHE_SECONDS
    # The round's state changes with the clock, so the key carries the minute as well as the version.
    key = f"proposals:ranking:{ranking_version()}:{language}:{int(time.time() // 60)}"
    if seconds:
        found = cache.get(key)
        if found is not None:
            return found
    with translation.override(language):
        ranking = _build_ranking(round_for_ranking(), language)
    if seconds:
        cache.set(key, ranking, min(seconds, 60))
    return ranking


def supporter_votes(*, supporter: Supporter, round_id: int | None) -> set[int]:
    """The proposals this supporter voted for in this round (an indexed read of their own rows)."""
    if round_id is None:
        return set()
    votes = ProposalVote.objects.filter(round_id=round_id, supporter=supporter)
    return set(votes.values_list("proposal_id", flat=True))


def supporter_proposals(*, supporter: Supporter) -> QuerySet[Proposal]:
    return Proposal.objects.filter(supporter=supporter).select_related("round", "campaign").order_by("-created_at")


def proposal_visible_to(*, pk: int, supporter: Supporter | None) -> Proposal | None:
    """A proposal anyone may read (published or adopted), or the proposer's own in any status."""
    visible = Q(status__in=RANKED_STATUSES)
    if supporter is not None:
        visible |= Q(supporter=supporter)
    return Proposal.objects.select_related("round", "campaign").filter(visible, pk=pk).first()


def adopted_proposals_for_campaign(page: Any) -> QuerySet[Proposal]:
    """Proposals adopted into this campaign page or any of its translations."""
    translation_key = getattr(page, "translation_key", None)
    if translation_key is None:
        return Proposal.objects.none()
    return Proposal.objects.filter(status=Proposal.Status.ADOPTED, campaign__translation_key=translation_key).order_by(
        "-decided_at"
    )
