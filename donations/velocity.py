"""Card-testing defence: too many failed payments from one address or one email blocks both for a day.

Counts live in the shared cache (Redis in production). Addresses and emails
are stored only as keyed hashes. A blocked attempt is refused before it
reaches the gateway.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value.strip().lower()}".encode(), hashlib.sha256)
    return f"velocity:{kind}:{digest.hexdigest()[:32]}"


def ip_key(ip: str) -> str:
    """The address as a keyed hash: what a gift keeps, so a later failure can be counted against it."""
    return _key("ip", ip) if ip else ""


def velocity_keys(*, ip: str = "", email: str = "", ip_hashed: str = "") -> list[str]:
    keys = [ip_hashed or ip_key(ip)]
    if email:
        keys.append(_key("email", email))
    return [key for key in keys if key]


def velocity_blocked(keys: list[str]) -> bool:
    """True if any of these (an address, an email) is blocked."""
    return bool(cache.get_many([f"{key}:blocked" for key in keys]))


def velocity_failure_record(keys: list[str]) -> None:
    """Count a failed payment; at the limit within the window, block for the block period."""
    for key in keys:
        counter = f"{key}:failures"
        cache.add(counter, 0, timeout=settings.DONATION_VELOCITY_WINDOW_SECONDS)
        try:
            failures = cache.incr(counter)
        except ValueError:  # expired between add and incr
            cache.add(counter, 1, timeout=settings.DONATION_VELOCITY_WINDOW_SECONDS)
            failures = 1
        if failures >= settings.DONATION_VELOCITY_LIMIT:
            cache.set(f"{key}:blocked", 1, timeout=settings.DONATION_VELOCITY_BLOCK_SECONDS)
