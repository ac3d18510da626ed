"""Petitions: Celery tasks (take ids, safe to run twice).

Periodic (config/settings.py, CELERY_BEAT_SCHEDULE): ``petitions_intake_flush``
every PETITION_INTAKE_MS, ``petitions_fold``
every PETITION_FOLD_SECONDS, ``petitions_mail_drain`` every
PETITION_MAIL_SECONDS, ``petitions_expire`` hourly.
"""

from __future__ import annotations

from celery import shared_task

__all__ = [
    "petitions_expire",
    "petitions_fold",
    "petitions_intake_flush",
    "petitions_mail_drain",
    "petitions_milestone_notify",
    "petitions_signature_mail",
]


@shared_task(acks_late=True)
def petitions_intake_flush() -> int:
    """Write the signatures the intake accepted (campaigns/petitions/intake.py)."""
    from campaigns.petitions.intake import signatures_flush

    return signatures_flush()


@shared_task(acks_late=True)
def petitions_fold() -> int:
    from campaigns.petitions.services import signatures_fold

    return signatures_fold()


@shared_task(acks_late=True)
def petitions_mail_drain(batch: int = 500, batches: int = 20) -> int:
    """Send the due confirmation mails, batch after batch, until none are left (or `batches` were sent)."""
    from campaigns.petitions.services import signature_mails_send

    sent = 0
    for _ in range(batches):
        count = signature_mails_send(limit=batch)
        sent += count
        if count == 0:
            break
    return sent


@shared_task(acks_late=True)
def petitions_signature_mail(signature_id: int) -> int:
    from campaigns.petitions.services import signature_mails_send

    return signature_mails_send(signature_ids=[signature_id])


@shared_task(acks_late=True)
def petitions_expire() -> int:
    from campaigns.petitions.services import signatures_expire

    return signatures_expire()


@shared_task(acks_late=True)
def petitions_milestone_notify(reached_id: int) -> int:
    from campaigns.petitions.services import milestone_notify

    return milestone_notify(reached_id=reached_id)
