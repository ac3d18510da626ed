"""What campaigns lends to the giving Insights: signers and march participants, for "advocacy to giving"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from donations.insights.advocacy import first_actions_of, register_advocacy_source


def _signers(*, supporter_ids: Iterable[int] | None = None) -> Any:
    from campaigns.petitions.models import Signature

    confirmed = Signature.objects.filter(status=Signature.Status.CONFIRMED)
    return first_actions_of(confirmed, moment="created_at", supporter_ids=supporter_ids)


def _signers_changed(since: datetime) -> Iterable[int]:
    """Signers whose signature was confirmed, invalidated or erased since then (each stamps its moment)."""
    from campaigns.petitions.models import Signature

    changed = Signature.objects.filter(Q(confirmed_at__gte=since) | Q(invalidated_at__gte=since))
    return changed.filter(supporter_id__isnull=False).values_list("supporter_id", flat=True).order_by().distinct()


def _marchers(*, supporter_ids: Iterable[int] | None = None) -> Any:
    from campaigns.marches.models import MarchParticipant

    return first_actions_of(MarchParticipant.objects.all(), moment="created_at", supporter_ids=supporter_ids)


def _marchers_changed(since: datetime) -> Iterable[int]:
    from campaigns.marches.models import MarchParticipant

    return (
        MarchParticipant.objects.filter(created_at__gte=since)
        .values_list("supporter_id", flat=True)
        .order_by()
        .distinct()
    )


def register() -> None:
    register_advocacy_source("signatures", _("Signed a petition"), _signers, _signers_changed)
    register_advocacy_source("marches", _("Joined a march"), _marchers, _marchers_changed)
