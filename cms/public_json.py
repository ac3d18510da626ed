"""A response cache in front of the whole stack for the public JSON that crowds poll.

The petition count (``count.json``, the widget, the API's counts) and the
march room's status are read by every open page every few seconds during a
surge. Their views are cheap already (the numbers come from the counters'
cache), but routing and a dozen middleware cost more than the view; a
reverse proxy in front of the site would answer these from its cache for the
``max-age`` the responses declare. This middleware does that inside Django,
so the embedded default and every deployment get it.

How it stays exact: an entry is stored with the two generation numbers seen
when its request arrived: the page cache's (bumped by every publish,
unpublish, move or settings change: cms.page_cache) and this cache's own,
bumped by ``public_json_changed()`` whenever folded counters change. A lookup
reads both generations and the entry in one round trip and answers only when
both still match, so nobody sees a count older than the last fold, and a
fold during rendering leaves the entry stale at once. Entries also expire
after PUBLIC_JSON_CACHE_SECONDS, for what changes with the clock alone (a
petition closing, a march window opening).

Only views decorated with ``public_json`` are stored, only for GET without a
query string, only 200 answers that set no cookie. The stored headers are the
ones the whole stack produced, so a hit carries the same security headers.
Place it right after the health check, before the other middleware.

Every other request must not pay for this: a process looks in the cache only
for addresses it has seen a marked view answer (a bounded set in memory), so
the first request for an address in each process goes through the stack and
every page, form and admin request costs nothing more than before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

from cms import page_cache

GENERATION_KEY = "publicjson:generation"
HEADER = "X-Public-Cache"
_MARK = "public_json"
_KNOWN_LIMIT = 10_000
_known: set[str] = set()  # cache keys this process has stored: the only ones worth a lookup


def public_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let PublicJSONCacheMiddleware share this view's answers (anonymous, the same for every reader)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> HttpResponse:
        response = view(*args, **kwargs)
        setattr(response, _MARK, True)
        return response

    return wrapped


def _generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, time.time_ns() // 1000, timeout=None)
        value = cache.get(GENERATION_KEY)
    return int(value)


def public_json_changed() -> None:
    """Make every stored answer stale (called when folded counters change)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.add(GENERATION_KEY, time.time_ns() // 1000, timeout=None)


class PublicJSONCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        seconds = settings.PUBLIC_JSON_CACHE_SECONDS
        if seconds <= 0 or request.method != "GET" or request.META.get("QUERY_STRING"):
            return self.get_response(request)
        try:
            key = f"publicjson:{request.scheme}:{request.get_host()}:{request.path}"
        except DisallowedHost:
            return self.get_response(request)  # the stack answers it (400)
        stamp: tuple[Any, Any] = (None, None)
        if key in _known:
            found = cache.get_many([page_cache.GENERATION_KEY, GENERATION_KEY, key])
            stamp = (found.get(page_cache.GENERATION_KEY), found.get(GENERATION_KEY))
            entry = found.get(key)
            if entry is not None and None not in stamp and entry[0] == stamp:
                response = HttpResponse(entry[2], headers=entry[1])
                response[HEADER] = "hit"
                return response
            if None in stamp:
                stamp = (page_cache.generation(), _generation())
        response = self.get_response(request)
        shareable = getattr(response, _MARK, False) and response.status_code == 200
        if not shareable or response.streaming or response.cookies:
            return response
        if key not in _known:
            if len(_known) >= _KNOWN_LIMIT:
                _known.clear()
            _known.add(key)
            return response  # no stamp was read before this rendering: the next request stores one
        cache.set(key, (stamp, dict(response.items()), response.content), seconds)
        response[HEADER] = "miss"
        return response
