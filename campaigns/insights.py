"""What campaigns lends to the giving Insights: signers and march participants, for "advocacy to giving"."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from donations.insights.advocacy import first_actions_of, register_advocacy_source


def _signers(*, since: date | None = None, until: date | None = None) -> Any:
    from campaigns.petitions.models import Signature

    confirmed = Signature.objects.filter(status=Signature.Status.CONFIRMED)
    return first_actions_of(confirmed, moment="created_at", since=since, until=until)


def _marchers(*, since: date | None = None, until: date | None = None) -> Any:
    from campaigns.marches.models import MarchParticipant

    return first_actions_of(MarchParticipant.objects.all(), moment="created_at", since=since, until=until)


def register() -> None:
    register_advocacy_source("signatures", _("Signed a petition"), _signers)
    register_advocacy_source("marches", _("Joined a march"), _marchers)
