"""What the OpenAPI schema describes: our public API under /api/v1/, not Wagtail's admin API."""

from __future__ import annotations

from typing import Any

PUBLIC_PREFIX = "/api/v1/"


def only_public_api(endpoints: list[tuple[str, Any, str, Any]], **kwargs: Any) -> list[tuple[str, Any, str, Any]]:
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(PUBLIC_PREFIX)]
