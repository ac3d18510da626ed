"""Fixtures for the supporters tests."""

from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english() -> None:
    """Start each test in English: a request to an /ar/ page leaves Arabic active in the test's thread."""
    translation.activate("en")
