"""Advocacy to giving: the actions other apps lend to Insights (campaigns registers signatures and marches).

Donations may not import campaigns, so campaigns registers a source from its
AppConfig.ready(). A source gives, per supporter, the moment of their first
action, as a queryset of ``supporter_id`` and ``first`` that Insights joins to gifts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

_SOURCES: dict[str, AdvocacySource] = {}


@dataclass(frozen=True)
class AdvocacySource:
    key: str
    label: Any
    # (since, until) -> queryset of rows with supporter_id and first (a datetime), one per supporter
    first_actions: Callable[..., Any]


def register_advocacy_source(key: str, label: Any, first_actions: Callable[..., Any]) -> None:
    _SOURCES[key] = AdvocacySource(key, label, first_actions)


def sources() -> list[AdvocacySource]:
    return list(_SOURCES.values())


def first_actions_of(queryset: Any, *, moment: str, since: date | None, until: date | None) -> Any:
    """Helper for providers: the first ``moment`` per supporter of ``queryset``, within the dates."""
    from django.db.models import Min

    queryset = queryset.filter(supporter_id__isnull=False)
    if since:
        queryset = queryset.filter(**{f"{moment}__date__gte": since})
    if until:
        queryset = queryset.filter(**{f"{moment}__date__lte": until})
    return queryset.values("supporter_id").annotate(first=Min(moment)).order_by()
