"""A changed exchange rate marks its currency for folding again (connected in DonationsConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from donations.insights.models import ExchangeRate


def _rate_changed(sender: type[ExchangeRate], instance: ExchangeRate, **kwargs: Any) -> None:
    from donations.insights.services import rates_changed
    from donations.insights.tasks import insights_fold

    rates_changed(currency=instance.currency)
    transaction.on_commit(insights_fold.delay)


def _annotation_changed(sender: type, **kwargs: Any) -> None:
    from donations.insights.services import figures_changed

    figures_changed()


def connect() -> None:
    from donations.insights.models import SpikeAnnotation

    post_save.connect(_annotation_changed, sender=SpikeAnnotation, dispatch_uid="insights_annotation_saved")
    post_delete.connect(_annotation_changed, sender=SpikeAnnotation, dispatch_uid="insights_annotation_deleted")
    post_save.connect(_rate_changed, sender=ExchangeRate, dispatch_uid="insights_rate_saved")
    post_delete.connect(_rate_changed, sender=ExchangeRate, dispatch_uid="insights_rate_deleted")
