"""Where files that must stay private are kept."""

from __future__ import annotations

from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    """Files staff upload as evidence, and receipts: never under MEDIA_URL, served only through a permission check."""
    return storages["private"]
