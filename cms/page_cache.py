"""A full-page cache for anonymous readers of Wagtail pages.

Pages are cached per host, language and path for PAGE_CACHE_SECONDS. Every
publish, unpublish, move or delete (and every change to site settings or a
page's view restrictions) bumps one generation number, and an entry counts
only if it was rendered under the current generation, so readers never see a
page older than the last publish; old entries simply expire.

Two halves: ``PageCacheMiddleware`` answers from the cache before URL
routing and Wagtail's page lookup (one round trip for the generation and the
page together, no database query), and ``CachedPage.serve`` (cms.models)
stores what a page rendered when it is shareable, stamped with the
generation seen when the request arrived, so a publish during rendering
makes the entry stale at once.

Only plain anonymous GETs are cached: no query string, no session or message
cookie, and a response that sets no cookie and did not use a CSRF token (a
page with a form is never shared between readers). Wagtail serves pages with
view restrictions only after its own checks, which an anonymous reader never
passes, so a restricted page is never stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils.translation import get_language

GENERATION_KEY = "pagecache:generation"
HEADER = "X-Page-Cache"
_KEPT_HEADERS = ("Content-Type", "Content-Language")
_REQUEST_GENERATION = "_page_cache_generation"


def _fresh_generation() -> int:
    # Start from the clock, not 1: if the cache evicts the counter, a new one
    # never matches entries stamped before the eviction.
    return time.time_ns() // 1000


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)
        value = cache.get(GENERATION_KEY)
    return int(value)


def page_cache_clear() -> None:
    """Make every cached page stale (called when published content changes)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.add(GENERATION_KEY, _fresh_generation(), timeout=None)


def page_cache_clear_on_signal(**_kwargs: Any) -> None:
    page_cache_clear()


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not getattr(request, "is_preview", False)
    )


def _key(request: HttpRequest) -> str:
    return f"pagecache:{request.get_host()}:{get_language()}:{request.path}"


def lookup(request: HttpRequest) -> HttpResponse | None:
    """The cached page for this request if it is current; notes the generation for ``share``."""
    key = _key(request)
    found = cache.get_many([GENERATION_KEY, key])
    current = found.get(GENERATION_KEY)
    if current is None:
        current = generation()
    setattr(request, _REQUEST_GENERATION, current)
    entry = found.get(key)
    if entry is None or entry[0] != current:
        return None
    _stamp, status, headers, content = entry
    response = HttpResponse(content, status=status, headers=headers)
    response[HEADER] = "hit"
    return response


def share(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Keep a page's rendering for other anonymous readers, if it is shareable."""
    if not _cacheable_request(request):
        return response
    key = _key(request)
    stamp = getattr(request, _REQUEST_GENERATION, None)
    if stamp is None:
        stamp = generation()
    response[HEADER] = "miss"

    def store(rendered: HttpResponse) -> None:
        if (
            rendered.status_code == 200
            and not rendered.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not request.META.get("CSRF_COOKIE_USED")
        ):
            headers = {name: rendered[name] for name in _KEPT_HEADERS if name in rendered}
            entry = (stamp, rendered.status_code, headers, rendered.content)
            cache.set(key, entry, settings.PAGE_CACHE_SECONDS)

    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.add_post_render_callback(store)
    elif not response.streaming:
        store(response)
    return response


class PageCacheMiddleware:
    """Answer from the page cache before routing; the last middleware, so every other one still applies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _cacheable_request(request):
            hit = lookup(request)
            if hit is not None:
                return hit
        return self.get_response(request)
