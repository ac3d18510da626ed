"""Reads shared by views, templates and /healthz."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from wagtail.models import Locale, Page, Site
from wagtail.search.backends import get_search_backend

from cms.models import WorkerHeartbeat


def heartbeat_latest() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-last_seen").first()


def site_root(site: Site | None) -> Page | None:
    """The site's home page in the active language (or the default one)."""
    if site is None:
        return None
    return site.root_page.localized


def request_site_root(request: HttpRequest | None) -> Page | None:
    """The requested site's home page in the active language, looked up once per request."""
    if request is None:
        return None
    roots = request.__dict__.setdefault("_cms_site_roots", {})
    language = get_language()
    if language not in roots:
        roots[language] = site_root(Site.find_for_request(request))
    return roots[language]


def live_translations(page: Page) -> dict[str, Page]:
    """The live versions of ``page`` by language code, itself included (one query)."""
    translations = page.get_translations(inclusive=True).live().select_related("locale")
    return {translation.locale.language_code: translation for translation in translations}


def menu_pages(root: Page | None) -> QuerySet[Page]:
    """Live pages marked "show in menus" directly under the home page ``root``."""
    if root is None:
        return Page.objects.none()
    return root.get_children().live().public().in_menu().specific()


def page_search(query: str, *, root: Page | None) -> Sequence[Page]:
    """Live, public pages under ``root`` (a home page) in the active language matching ``query``.

    The result is lazy and sliceable, so a paginator fetches one page of hits.
    """
    if root is None or not query.strip():
        return []
    pages = (
        Page.objects.live().public().descendant_of(root, inclusive=True).filter(locale=Locale.get_active()).specific()
    )
    return get_search_backend().search(query, pages, operator="and")
