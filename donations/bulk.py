"""Bulk inserts without the ORM, for the ledger's appends and the Insights fold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection


def rows_insert(model: Any, fields: Sequence[str], rows: list[tuple]) -> None:
    """Rows already in database form (a tuple of ``fields`` each), inserted without the ORM: COPY on
    PostgreSQL (no SQL text to build or parse per row), one prepared INSERT run per row in C on SQLite."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)  # noqa: S608 - names from the models
