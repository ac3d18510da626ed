"""Celery tasks of the cms app."""

from __future__ import annotations

import socket

from celery import Task, shared_task

from cms.services import heartbeat_record


@shared_task(bind=True, name="cms.tasks.heartbeat")
def heartbeat(self: Task, name: str = "celery") -> None:
    """Scheduled by beat every minute; /healthz reports how long ago it last ran."""
    heartbeat_record(name=name, hostname=self.request.hostname or socket.gethostname())
