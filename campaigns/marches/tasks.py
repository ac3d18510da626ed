"""Marches: Celery tasks (take ids, safe to run twice)."""

from __future__ import annotations

from celery import shared_task

from campaigns.marches import services

__all__ = [
    "march_counters_fold",
    "march_letters_send",
    "march_letters_send_all",
    "march_participant_email",
    "march_reminders_send",
]


@shared_task(acks_late=True)
def march_participant_email(participant_id: int, kind: str) -> bool:
    """The booking confirmation (sent once), or the "already registered" email with the slot and private link."""
    return services.participant_email_send(participant_id=participant_id, kind=kind)


@shared_task(acks_late=True)
def march_reminders_send() -> int:
    """Periodic: send every 24-hour and 15-minute reminder that is due, each exactly once."""
    return services.reminders_send_due()


@shared_task(acks_late=True)
def march_letters_send(march_id: int) -> int:
    """Send a march's queued letters within each target's limit; the rest wait for the next run."""
    return services.letters_send_due(march_id=march_id)


@shared_task(acks_late=True)
def march_letters_send_all() -> int:
    """Periodic: every march with letters waiting."""
    from campaigns.marches.models import MarchLetter

    march_ids = (
        MarchLetter.objects.filter(status=MarchLetter.Status.QUEUED).values_list("march_id", flat=True).distinct()
    )
    return sum(services.letters_send_due(march_id=march_id) for march_id in list(march_ids))


@shared_task(acks_late=True)
def march_counters_fold() -> int:
    """Periodic, every few seconds: fold new registrations and actions into the counters and the cache."""
    return sum(services.counters_fold(march_id=march_id) for march_id in services.marches_with_unfolded_rows())
