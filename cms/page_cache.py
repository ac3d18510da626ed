"""A full-page cache for anonymous readers of Wagtail pages.

Pages are cached per host, language and path for PAGE_CACHE_SECONDS. Every
publish, unpublish, move or delete (and every change to site settings) bumps
one generation number that is part of every key, so readers never see a page
older than the last publish; old entries simply expire.

Only plain anonymous GETs are cached: no query string, no session or message
cookie, and a response that sets no cookie and did not use a CSRF token (a
page with a form is never shared between readers).
"""

from __future__ import annotations

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


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY, 1)
    return int(value)


def page_cache_clear() -> None:
    """Make every cached page stale (called when published content changes)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.add(GENERATION_KEY, 2, timeout=None)


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
    return f"pagecache:{generation()}:{request.get_host()}:{get_language()}:{request.path}"


def serve_cached(request: HttpRequest, render: Callable[[], HttpResponse]) -> HttpResponse:
    """Serve from the cache, or call ``render`` and keep what it made if it is shareable."""
    if not _cacheable_request(request):
        return render()
    key = _key(request)
    hit = cache.get(key)
    if hit is not None:
        status, headers, content = hit
        response = HttpResponse(content, status=status, headers=headers)
        response[HEADER] = "hit"
        return response

    response = render()
    response[HEADER] = "miss"

    def store(rendered: HttpResponse) -> None:
        if (
            rendered.status_code == 200
            and not rendered.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not request.META.get("CSRF_COOKIE_USED")
        ):
            headers = {name: rendered[name] for name in _KEPT_HEADERS if name in rendered}
            cache.set(key, (rendered.status_code, headers, rendered.content), settings.PAGE_CACHE_SECONDS)

    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.add_post_render_callback(store)
    elif not response.streaming:
        store(response)
    return response


def page_cache_clear_on_signal(**_kwargs: Any) -> None:
    page_cache_clear()
