"""Gateway events as delivered: stored once by id, acknowledged at once, processed by a task.

Storing an event costs one INSERT. With a broker, it does not also publish a
task per event: it makes sure one *drain* task is queued (a single cache
``add``, at most once per process every ``KICK_DEBOUNCE_SECONDS``), and the
drain applies every due event in order of arrival until none is left.

Why skipping the ``add`` loses nothing: a process skips it only within
``KICK_DEBOUNCE_SECONDS`` after it saw the flag set, so a drain was queued
then and has not started before that moment; every drain keeps looking for
new events until ``KICK_DEBOUNCE_SECONDS`` after its start, so it sees every
event committed in a skipped window. An event about a payment we do not know yet waits, with growing
delays, and is applied by a later drain; after too many tries it is marked
failed. Without a broker (the embedded default) each event is applied at once.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import current_app
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from donations.gateways.events import normalize
from donations.models import WebhookEvent
from donations.services.events import UnknownReference, event_apply

logger = logging.getLogger(__name__)
DRAIN_QUEUED = "webhooks:drain-queued"
MAX_ATTEMPTS = 10
DRAIN_BATCH = 200
KICK_DEBOUNCE_SECONDS = 0.2
# When this process last saw the drain flag set (monotonic seconds); shared by its threads.
_kick_seen_at = -1e9


def retry_delay(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s... up to an hour between tries."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 3600))


def webhook_event_store(*, gateway: str, payload: dict[str, Any]) -> tuple[WebhookEvent, bool]:
    """Keep the event (once per gateway and event id) and have it processed after commit.

    Returns the stored event and whether it was new; a redelivery changes nothing.
    """
    event = WebhookEvent(
        gateway=gateway,
        event_id=payload["id"],
        event_type=str(payload.get("type", ""))[:100],
        created=datetime.fromtimestamp(int(payload.get("created") or 0), tz=UTC),
        payload=payload,
    )
    try:
        if connection.in_atomic_block:
            # A savepoint, so a redelivery leaves the caller's transaction usable.
            with transaction.atomic():
                event.save(force_insert=True)
        else:
            # The webhook view: one autocommitted INSERT is already all-or-nothing.
            event.save(force_insert=True)
    except IntegrityError:
        return WebhookEvent.objects.get(gateway=gateway, event_id=payload["id"]), False
    transaction.on_commit(lambda: _process_soon(event.pk))
    return event, True


def _process_soon(pk: int) -> None:
    from donations.tasks import webhook_event_process, webhook_events_drain

    global _kick_seen_at
    if current_app.conf.task_always_eager:
        webhook_event_process.delay(pk)
        return
    now = time.monotonic()
    if now - _kick_seen_at < KICK_DEBOUNCE_SECONDS:
        return  # a drain queued since then will still be looking when this event is due
    if cache.add(DRAIN_QUEUED, 1, timeout=60):
        # At most one drain waits in the queue; the running one clears the flag when it starts.
        webhook_events_drain.delay()
    _kick_seen_at = now


def webhook_event_apply(*, pk: int) -> str:
    """Apply a stored event's facts once. Safe to run twice, and from two drains at once."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if event is None or event.status in (WebhookEvent.Status.PROCESSED, WebhookEvent.Status.IGNORED):
                return event.status if event else "locked"
            facts = normalize(event.payload, gateway=event.gateway)
            for fact in facts:
                event_apply(fact)
            event.status = WebhookEvent.Status.PROCESSED if facts else WebhookEvent.Status.IGNORED
            event.attempts += 1
            event.processed_at = timezone.now()
            event.next_attempt_at = None
            event.last_error = ""
            event.save(update_fields=["status", "attempts", "processed_at", "next_attempt_at", "last_error"])
            return event.status
    except UnknownReference as exc:
        return _defer(pk, str(exc))


def _defer(pk: int, error: str) -> str:
    """Try again later; give up after MAX_ATTEMPTS tries."""
    attempts = WebhookEvent.objects.filter(pk=pk).values_list("attempts", flat=True).first() or 0
    attempts += 1
    if attempts >= MAX_ATTEMPTS:
        WebhookEvent.objects.filter(pk=pk).update(
            status=WebhookEvent.Status.FAILED, attempts=attempts, next_attempt_at=None, last_error=error[:1000]
        )
        logger.error("webhook event %s failed for good after %s tries: %s", pk, attempts, error)
        return WebhookEvent.Status.FAILED
    WebhookEvent.objects.filter(pk=pk).update(
        status=WebhookEvent.Status.RETRYING,
        attempts=F("attempts") + 1,
        next_attempt_at=timezone.now() + retry_delay(attempts),
        last_error=error[:1000],
    )
    logger.info("webhook event %s waits for its payment (try %s): %s", pk, attempts, error)
    return WebhookEvent.Status.RETRYING


def webhook_events_due(*, limit: int = DRAIN_BATCH) -> list[int]:
    """Events to apply now, oldest first: new ones, and waiting ones whose time has come."""
    due = Q(status=WebhookEvent.Status.RECEIVED) | Q(
        status=WebhookEvent.Status.RETRYING, next_attempt_at__lte=timezone.now()
    )
    return list(WebhookEvent.objects.filter(due).order_by("pk").values_list("pk", flat=True)[:limit])


def webhook_events_drain(*, budget_seconds: float = 30.0) -> tuple[int, bool]:
    """Apply due events until none is left or the time budget is spent.

    Returns how many were applied and whether some are still due (the caller
    queues another drain).
    """
    cache.delete(DRAIN_QUEUED)
    started = time.monotonic()
    deadline = started + budget_seconds
    # Events stored by a process that saw this drain's flag less than KICK_DEBOUNCE_SECONDS ago
    # queued no drain of their own: keep looking until that window has closed.
    watch_until = started + KICK_DEBOUNCE_SECONDS + 0.05
    applied = 0
    seen: set[int] = set()
    while time.monotonic() < deadline:
        pks = [pk for pk in webhook_events_due() if pk not in seen]
        if not pks:
            if time.monotonic() < watch_until:
                time.sleep(0.05)
                continue
            return applied, False
        for pk in pks:
            seen.add(pk)
            webhook_event_apply(pk=pk)
            applied += 1
            if time.monotonic() >= deadline:
                break
    return applied, bool(webhook_events_due(limit=1))
