"""Small request helpers shared by every app."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest

_MOBILE = re.compile(r"Mobile|Android.+Mobile|iPhone|iPod|Windows Phone|Opera Mini|IEMobile", re.IGNORECASE)
_TABLET = re.compile(r"iPad|Tablet|Android(?!.*Mobile)|Silk|Kindle|PlayBook", re.IGNORECASE)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind our proxy (BEHIND_PROXY) the last X-Forwarded-For hop.

    The proxy appends the address it received the connection from, so the last
    entry is the one we can trust; anything before it was written by the client.
    """
    if settings.BEHIND_PROXY:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "")


def device_class(request: HttpRequest) -> str:
    """phone, tablet or desktop, from the User-Agent (for analytics only)."""
    agent = request.META.get("HTTP_USER_AGENT", "")
    if _TABLET.search(agent):
        return "tablet"
    if _MOBILE.search(agent):
        return "phone"
    return "desktop"
