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
