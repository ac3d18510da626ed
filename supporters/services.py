"""Writes for supporters."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from supporters.models import Consent, Supporter


def email_normalize(email: str) -> str:
    """The form we store: trimmed and lower-cased (one Supporter per address)."""
    return email.strip().lower()


def supporter_for_email(*, email: str, name: str = "", language: str = "en") -> Supporter:
    """The Supporter for this address, created if new; a missing name is filled in."""
    address = email_normalize(email)
    try:
        with transaction.atomic():
            supporter, created = Supporter.objects.get_or_create(
                email=address, defaults={"name": name.strip(), "language": language}
            )
    except IntegrityError:  # created concurrently by another request
        supporter, created = Supporter.objects.get(email=address), False
    if not created and name.strip() and not supporter.name:
        supporter.name = name.strip()
        supporter.save(update_fields=["name", "updated_at"])
    return supporter


def consent_record(
    *, supporter: Supporter, topic: str, granted: bool, wording: str, wording_version: str, source: str
) -> Consent:
    return Consent.objects.create(
        supporter=supporter,
        topic=topic,
        granted=granted,
        wording=wording,
        wording_version=wording_version,
        source=source,
    )
