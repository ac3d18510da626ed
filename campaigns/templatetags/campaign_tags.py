"""Template helpers for campaign pages: goal sentences and action labels."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.models import CampaignPage, GoalProgress
from donations.money import format_money

register = template.Library()


@register.simple_tag
def goal_sentence(progress: GoalProgress) -> str:
    """'1,234 of 5,000 signatures' in the reader's language (amounts through Babel)."""
    if progress.kind == CampaignPage.GoalKind.AMOUNT:
        return _("%(current)s raised of %(goal)s") % {
            "current": format_money(progress.current, progress.currency),
            "goal": format_money(progress.goal, progress.currency, short=True),
        }
    values = {"current": number_format(progress.current, force_grouping=True),
              "goal": number_format(progress.goal, force_grouping=True)}  # fmt: skip
    if progress.kind == CampaignPage.GoalKind.SIGNATURES:
        text = ngettext("%(current)s of %(goal)s signature", "%(current)s of %(goal)s signatures", progress.goal)
        return text % values
    return ngettext("%(current)s of %(goal)s action", "%(current)s of %(goal)s actions", progress.goal) % values


@register.filter
def action_label(page: object) -> str:
    """What kind of action a child page is, from its model's verbose name."""
    meta = getattr(page, "_meta", None)
    return str(meta.verbose_name).capitalize() if meta is not None else ""
