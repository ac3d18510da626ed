"""Which of a pair of texts a reader sees: the Arabic one on Arabic pages when staff wrote it."""

from __future__ import annotations

from django.utils.translation import get_language


def in_language(english: str, arabic: str) -> str:
    if (get_language() or "").startswith("ar") and arabic:
        return arabic
    return english
