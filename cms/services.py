"""Writes for the cms app."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cms.models import WorkerHeartbeat


def heartbeat_record(*, name: str, hostname: str, at: datetime | None = None) -> WorkerHeartbeat:
    """Note that a worker is alive. Safe to run twice: it only moves the time forward."""
    now = at or timezone.now()
    with transaction.atomic():
        beat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
            name=name, defaults={"hostname": hostname, "last_seen": now, "beats": 1}
        )
        if not created and now > beat.last_seen:
            WorkerHeartbeat.objects.filter(pk=beat.pk).update(hostname=hostname, last_seen=now, beats=F("beats") + 1)
            beat.refresh_from_db()
    return beat
