"""Celery tasks for supporters: take ids, call a service; safe to run twice."""

from __future__ import annotations

import uuid

from celery import shared_task

from supporters import signin


@shared_task(name="supporters.tasks.sign_in_link_send", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def sign_in_link_send(email: str, language: str, next_path: str, request_id: str) -> bool:
    """Make and email one sign-in link for this request (a second run sends nothing)."""
    return signin.sign_in_link_send(
        email=email, language=language, next_path=next_path, request_id=uuid.UUID(request_id)
    )


@shared_task(name="supporters.tasks.sign_in_links_purge")
def sign_in_links_purge() -> int:
    """Daily: forget sign-in links that expired a week ago."""
    return signin.sign_in_links_purge()


@shared_task(name="supporters.tasks.privacy_export_build", acks_late=True, autoretry_for=(OSError,), retry_backoff=True)
def privacy_export_build(request_id: int) -> bool:
    """Build one supporter's data export and email its link (a retried task builds and sends nothing more)."""
    from supporters import privacy

    return privacy.export_build(request_id=request_id)


@shared_task(name="supporters.tasks.privacy_erasure_run", acks_late=True, autoretry_for=(OSError,), retry_backoff=True)
def privacy_erasure_run(request_id: int) -> bool:
    """Carry out a confirmed erasure request (once: a second run finds it done)."""
    from supporters import privacy

    return privacy.erasure_run(request_id=request_id)


@shared_task(name="supporters.tasks.privacy_exports_purge")
def privacy_exports_purge() -> int:
    """Hourly: delete data exports whose download link has expired."""
    from supporters import privacy

    return privacy.exports_purge()


@shared_task(name="supporters.tasks.privacy_erasures_retry")
def privacy_erasures_retry() -> int:
    """Hourly: run again confirmed erasures a lost worker left queued (each runs once)."""
    from supporters import privacy

    return privacy.erasures_retry()
