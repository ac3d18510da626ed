"""Celery tasks of Insights (imported by donations.tasks, where Celery finds them)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="donations.tasks.insights_fold", acks_late=True)
def insights_fold() -> int:
    """Every 30 s: fold gifts changed since the last fold into the rollups (idempotent)."""
    from donations.insights.services import insights_fold as fold

    return fold().changed


@shared_task(name="donations.tasks.insights_digest_send", acks_late=True)
def insights_digest_send() -> int:
    """Hourly: send last week's digest to staff with the analytics permission, once per week."""
    from donations.insights.digest import digest_send

    return digest_send()
