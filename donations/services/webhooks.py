"""Gateway events as delivered: stored once by id, acknowledged at once, processed by a task."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from donations.gateways.events import normalize
from donations.models import WebhookEvent
from donations.services.events import UnknownReference, event_apply

logger = logging.getLogger(__name__)


def webhook_event_store(*, gateway: str, payload: dict[str, Any]) -> tuple[WebhookEvent, bool]:
    """Keep the event (once per gateway and event id) and queue its processing after commit.

    Returns the stored event and whether it was new; a redelivery changes nothing.
    """
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                gateway=gateway,
                event_id=payload["id"],
                event_type=str(payload.get("type", ""))[:100],
                created=datetime.fromtimestamp(int(payload.get("created") or 0), tz=UTC),
                payload=payload,
            )
    except IntegrityError:
        return WebhookEvent.objects.get(gateway=gateway, event_id=payload["id"]), False
    from donations.tasks import webhook_event_process

    webhook_event_process.delay_on_commit(event.pk)
    return event, True


def webhook_event_apply(*, pk: int) -> str:
    """Apply a stored event's facts. Safe to run twice; raises UnknownReference to be retried later."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update().get(pk=pk)
            if event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
                return event.status
            facts = normalize(event.payload, gateway=event.gateway)
            for fact in facts:
                event_apply(fact)
            event.status = WebhookEvent.Status.PROCESSED if facts else WebhookEvent.Status.IGNORED
            event.attempts += 1
            event.processed_at = timezone.now()
            event.last_error = ""
            event.save(update_fields=["status", "attempts", "processed_at", "last_error"])
            return event.status
    except UnknownReference as exc:
        WebhookEvent.objects.filter(pk=pk).update(
            status=WebhookEvent.Status.RETRYING, attempts=F("attempts") + 1, last_error=str(exc)[:1000]
        )
        raise


def webhook_event_give_up(*, pk: int, error: str) -> None:
    WebhookEvent.objects.filter(pk=pk).update(status=WebhookEvent.Status.FAILED, last_error=error[:1000])
    logger.error("webhook event %s failed for good: %s", pk, error)
