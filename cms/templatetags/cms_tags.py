"""Template tags for the site chrome: language switcher, menus, footer."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info
from wagtail.models import Page

from cms.models import OrganisationSettings
from cms.selectors import live_translations, menu_pages, request_site_root

register = template.Library()


def language_root(code: str) -> str:
    return "/" if code == settings.LANGUAGE_CODE else f"/{code}/"


def url_in_language(request: HttpRequest | None, page: Any, code: str) -> str:
    """Where a reader of ``page`` (or of this view) goes to read it in ``code``.

    A page goes to its live translation, or to that language's home page when
    it has none; other views go to the same view under that language's prefix.
    """
    if isinstance(page, Page) and page.pk:
        translations = getattr(page, "_cms_live_translations", None)
        if translations is None:
            translations = page._cms_live_translations = live_translations(page)
        translated = translations.get(code)
        return (translated.get_url(request) if translated else None) or language_root(code)
    if request is None:
        return language_root(code)
    current = request.get_full_path()
    translated_url = translate_url(current, code)
    if translated_url == current and code != get_language():
        return language_root(code)
    return translated_url


@register.simple_tag(takes_context=True)
def language_links(context: template.Context) -> list[dict[str, Any]]:
    request = context.get("request")
    page = context.get("page")
    current = get_language()
    links = []
    for code, _name in settings.LANGUAGES:
        info = get_language_info(code)
        url = url_in_language(request, page, code)
        links.append(
            {
                "code": code,
                "name": info["name_local"],
                "url": url,
                "absolute_url": request.build_absolute_uri(url) if request else url,
                "current": code == current,
            }
        )
    return links


@register.simple_tag(takes_context=True)
def main_menu(context: template.Context) -> list[Page]:
    return list(menu_pages(request_site_root(context.get("request"))))


@register.simple_tag(takes_context=True)
def home_url(context: template.Context) -> str:
    request = context.get("request")
    root = request_site_root(request)
    return (root.get_url(request) if root else None) or language_root(get_language())


@register.simple_tag(takes_context=True)
def footer_links(context: template.Context) -> list[dict[str, str]]:
    request = context.get("request")
    if request is None:
        return []
    organisation = OrganisationSettings.for_request(request)
    arabic = (get_language() or "").startswith("ar")
    links = []
    for block in organisation.footer_links:
        value = block.value
        page = value.get("page")
        if page is not None:
            page = page.localized
            if not page.live:
                continue
            url = page.get_url(request)
            fallback = page.title
        else:
            url = value.get("url")
            fallback = value.get("label")
        label = (value.get("label_ar") if arabic else value.get("label")) or fallback
        if url and label:
            links.append({"url": url, "label": label})
    return links
