"""Reads shared by views, templates and /healthz."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
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


def menu_pages(site: Site | None) -> QuerySet[Page]:
    """Live pages marked "show in menus" directly under the home page, in the active language."""
    root = site_root(site)
    if root is None:
        return Page.objects.none()
    return root.get_children().live().public().in_menu().specific()


def page_search(query: str, *, site: Site | None) -> Sequence[Page]:
    """Live, public pages of this site in the active language matching ``query``.

    The result is lazy and sliceable, so a paginator fetches one page of hits.
    """
    root = site_root(site)
    if root is None or not query.strip():
        return []
    pages = (
        Page.objects.live().public().descendant_of(root, inclusive=True).filter(locale=Locale.get_active()).specific()
    )
    return get_search_backend().search(query, pages, operator="and")
