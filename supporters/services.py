"""Writes for supporters."""

from __future__ import annotations

from django.db import connection

from supporters.models import Consent, Supporter


def email_normalize(email: str) -> str:
    """The form we store: trimmed and lower-cased (one Supporter per address)."""
    return email.strip().lower()


def supporter_for_email(*, email: str, name: str = "", language: str = "en") -> Supporter:
    """The Supporter for this address, created if new; a missing name is filled in.

    One statement for a new address (``INSERT ... ON CONFLICT DO NOTHING
    RETURNING``), two for a known one: no savepoints, no lock on an existing
    row, and two concurrent first gifts from one address still make one row.
    """
    address = email_normalize(email)
    name = name.strip()
    supporter = Supporter(email=address, name=name, language=language)
    fields = [field for field in Supporter._meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(supporter, add=True), connection) for field in fields]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Supporter._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT ({quote('email')}) DO NOTHING RETURNING id",
            values,
        )
        row = cursor.fetchone()
    if row is not None:
        supporter.pk = row[0]
        supporter._state.adding = False
        supporter._state.db = connection.alias
        return supporter
    supporter = Supporter.objects.get(email=address)
    if name and not supporter.name:
        supporter.name = name
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
