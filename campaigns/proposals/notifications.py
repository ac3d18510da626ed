"""Emails to proposers about moderation decisions, in the language they proposed in. Each is sent once."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.proposals.models import Proposal, ProposalTransition

NOTIFIED_STATUSES = (Proposal.Status.PUBLISHED, Proposal.Status.REJECTED, Proposal.Status.ADOPTED)


def _campaign_url(proposal: Proposal, language: str) -> str:
    page = proposal.campaign
    if page is None:
        return ""
    translated = page.get_translations(inclusive=True).live().filter(locale__language_code=language).first()
    page = (translated or page).specific
    return page.get_full_url() or ""


def proposal_decision_send(*, transition_id: int) -> bool:
    """Send the email for one status change, under a row lock; False if sent before or not one we send."""
    with transaction.atomic():
        change = (
            ProposalTransition.objects.select_for_update(of=("self",))
            .select_related("proposal__supporter", "proposal__campaign", "proposal__round")
            .filter(pk=transition_id)
            .first()
        )
        if change is None or change.notified_at is not None or change.to_status not in NOTIFIED_STATUSES:
            return False
        proposal = change.proposal
        to = proposal.supporter.email
        if not to:
            return False
        language = proposal.language or proposal.supporter.language or settings.LANGUAGE_CODE
        with translation.override(language):
            context = {
                "proposal": proposal,
                "change": change,
                "status": change.to_status,
                "note": change.note,
                "language": language,
                "direction": "rtl" if language.startswith("ar") else "ltr",
                "proposal_url": settings.BASE_URL + reverse("campaigns:proposals_detail", args=[proposal.pk]),
                "ranking_url": settings.BASE_URL + reverse("campaigns:proposals_ranking"),
                "campaign_url": _campaign_url(proposal, language),
                "site_name": settings.WAGTAIL_SITE_NAME,
            }
            subject = " ".join(render_to_string("campaigns/proposals/email/decision_subject.txt", context).split())
            text = render_to_string("campaigns/proposals/email/decision.txt", context)
            html = render_to_string("campaigns/proposals/email/decision.html", context)
        message = EmailMultiAlternatives(subject, text, to=[to])
        message.attach_alternative(html, "text/html")
        message.send()
        change.notified_at = timezone.now()
        change.save(update_fields=["notified_at"])
    return True
