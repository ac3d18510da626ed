"""Template helpers for proposals (loaded as ``{% load proposal_tags %}``; see the settings block)."""

from __future__ import annotations

from django import template
from django.db.models import QuerySet

from campaigns.proposals.selectors import adopted_proposals_for_campaign

register = template.Library()


@register.simple_tag
def adopted_proposals(page: object) -> QuerySet:
    """The proposals adopted into this campaign (or into its translation in another language)."""
    return adopted_proposals_for_campaign(page)
