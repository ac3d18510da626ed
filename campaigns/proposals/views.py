"""Proposals: the public ranking, proposing an issue, voting and withdrawing (thin: parse, call, render)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from campaigns.proposals import selectors, services
from campaigns.proposals.forms import ProposalForm
from supporters.auth import current_supporter, sign_in_url, supporter_required

PROPOSE_RATE = "10/h"
VOTE_RATE = "60/m"


def _messages_of(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def ranking(request: HttpRequest) -> HttpResponse:
    """Published proposals by votes, the round's status and (signed in) the supporter's remaining votes."""
    board = selectors.proposal_ranking(language=get_language())
    supporter = current_supporter(request)
    voted = selectors.supporter_votes(supporter=supporter, round_id=board.round_id) if supporter else set()
    context = {
        "board": board,
        "supporter": supporter,
        "voted": voted,
        "remaining": max(board.votes_per_supporter - len(voted), 0) if supporter else None,
        "sign_in_url": sign_in_url(request.path),
    }
    return render(request, "campaigns/proposals/ranking.html", context)


@require_http_methods(["GET", "POST"])
@supporter_required
@ratelimit(key="ip", rate=PROPOSE_RATE, method="POST", block=True)
def propose(request: HttpRequest) -> HttpResponse:
    supporter = current_supporter(request)
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_create(
                supporter=supporter,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                language=get_language() or "en",
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                for problem in _messages_of(error):
                    form.add_error(None, problem)
        else:
            messages.success(
                request, _("Thank you. Your proposal waits for moderation; we will email you when it is published.")
            )
            return redirect("campaigns:proposals_detail", proposal.pk)
    status = 400 if form.errors else 200
    round_ = selectors.round_for_new_proposals()
    return render(request, "campaigns/proposals/propose.html", {"form": form, "round": round_}, status=status)


@supporter_required
def mine(request: HttpRequest) -> HttpResponse:
    supporter = current_supporter(request)
    return render(
        request, "campaigns/proposals/mine.html", {"proposals": selectors.supporter_proposals(supporter=supporter)}
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    supporter = current_supporter(request)
    proposal = selectors.proposal_visible_to(pk=pk, supporter=supporter)
    if proposal is None:
        raise Http404
    voted = pk in selectors.supporter_votes(supporter=supporter, round_id=proposal.round_id) if supporter else False
    return render(
        request,
        "campaigns/proposals/detail.html",
        {
            "proposal": proposal,
            "supporter": supporter,
            "voted": voted,
            "is_own": supporter is not None and proposal.supporter_id == supporter.pk,
            "sign_in_url": sign_in_url(request.path),
        },
    )


def _back(pk: int) -> HttpResponse:
    return redirect(f"{reverse('campaigns:proposals_ranking')}#proposal-{pk}")


@require_POST
@supporter_required
@ratelimit(key="ip", rate=VOTE_RATE, method="POST", block=True)
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.proposal_vote_cast(supporter=current_supporter(request), proposal_id=pk)
    except ValidationError as error:
        if error.code == "not_found":
            raise Http404 from None
        for problem in _messages_of(error):
            messages.error(request, problem)
    else:
        messages.success(request, _("Your vote is counted."))
    return _back(pk)


@require_POST
@supporter_required
@ratelimit(key="ip", rate=VOTE_RATE, method="POST", block=True)
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        withdrawn = services.proposal_vote_withdraw(supporter=current_supporter(request), proposal_id=pk)
    except ValidationError as error:
        for problem in _messages_of(error):
            messages.error(request, problem)
    else:
        if withdrawn:
            messages.success(request, _("Your vote is withdrawn. You can give it to another proposal."))
        else:
            messages.info(request, _("You had not voted for this proposal."))
    return _back(pk)
