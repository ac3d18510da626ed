"""The supporter portal's activism history (/account/activism/): petitions, marches with slots, proposals, votes.

Registered into the account page (supporters.portal) from CampaignsConfig.ready(),
and listening to supporters' preference_changed: withdrawing "updates on
petitions I signed" stops the update emails of every petition they signed.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from campaigns.marches.models import MarchParticipant
from campaigns.petitions.models import Signature
from campaigns.proposals.models import Proposal, ProposalVote
from supporters.auth import current_supporter, supporter_required
from supporters.models import Consent, Supporter


def _localized(page):
    return page.localized if page is not None else None


def activism_history(supporter: Supporter) -> dict[str, Any]:
    """Everything the supporter did on the campaigning side, newest first (their own rows only)."""
    signatures = (
        Signature.objects.filter(supporter=supporter)
        .exclude(status__in=(Signature.Status.EXPIRED, Signature.Status.INVALIDATED))
        .select_related("petition")
        .order_by("-created_at")
    )
    marches = (
        MarchParticipant.objects.filter(supporter=supporter)
        .select_related("march", "slot", "slot__target", "target")
        .prefetch_related("actions")
        .order_by("-created_at")
    )
    proposals = Proposal.objects.filter(supporter=supporter).select_related("round").order_by("-created_at")
    votes = ProposalVote.objects.filter(supporter=supporter).select_related("proposal", "round").order_by("-created_at")
    return {
        "signatures": [{"signature": s, "petition": _localized(s.petition)} for s in signatures],
        "marches": [
            {
                "entry": entry,
                "march": _localized(entry.march),
                "target": (entry.slot.target if entry.slot_id else entry.target),
                "starts_at": entry.call_at or (entry.slot.starts_at if entry.slot_id else None),
                "ends_at": entry.slot.ends_at if entry.slot_id else None,
                "actions": list(entry.actions.all()),
            }
            for entry in marches
        ],
        "proposals": list(proposals),
        "votes": list(votes),
    }


@never_cache
@require_GET
@supporter_required
def activism(request: HttpRequest) -> HttpResponse:
    supporter = current_supporter(request)
    return render(request, "campaigns/portal/activism.html", {"supporter": supporter, **activism_history(supporter)})


def portal_section(request: HttpRequest, supporter: Supporter) -> str:
    context = {
        "signature_count": Signature.objects.filter(supporter=supporter, status=Signature.Status.CONFIRMED).count(),
        "march_count": MarchParticipant.objects.filter(supporter=supporter).count(),
        "proposal_count": Proposal.objects.filter(supporter=supporter).count(),
        "vote_count": ProposalVote.objects.filter(supporter=supporter).count(),
    }
    return render_to_string("campaigns/portal/_section.html", context, request=request)


def on_preference_changed(sender: Any, *, supporter: Supporter, topic: str, granted: bool, **kwargs: Any) -> None:
    """Withdrawing petition updates stops them on every signature (opting in again starts none by itself)."""
    if topic == Consent.Topic.PETITION_UPDATES and not granted:
        Signature.objects.filter(supporter=supporter, updates=True).update(updates=False)
