"""Shared fixtures: a bilingual page tree, staff users, and Celery run eagerly.

Tests run against the database the environment names (SQLite by default,
PostgreSQL in CI) with the real migrations, so Wagtail's root page, default
site and English locale exist as they do on a fresh install.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from wagtail.models import Locale, Page, Site
from wagtail.rich_text import RichText

from cms.models import HomePage, OrganisationSettings, StandardPage
from config.celery import app as celery_app

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# calls from fixtures there are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings) -> Iterator[None]:
    """Fast password hashing, an empty cache and eager Celery for every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


@dataclass
class SiteTree:
    site: Site
    english: Locale
    arabic: Locale
    home: HomePage
    home_ar: HomePage
    about: StandardPage
    about_ar: StandardPage


def publish(page: Page) -> Page:
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def translate(page: Page, locale: Locale, **fields: object) -> Page:
    translated = page.copy_for_translation(locale).specific
    for name, value in fields.items():
        setattr(translated, name, value)
    translated.save()
    return publish(translated)


@pytest.fixture
def site_tree(db) -> SiteTree:
    """Home and About pages in English and Arabic, as the default site's tree."""
    english = Locale.objects.get(language_code="en")
    arabic, _created = Locale.objects.get_or_create(language_code="ar")
    root = Page.get_first_root_node()
    home = HomePage(
        title="Home",
        slug="home-test",
        locale=english,
        hero_heading="Water for every village",
        hero_text="Give once or monthly.",
        body=[("paragraph", RichText("<p>Wells drilled this year: twelve.</p>"))],
    )
    root.add_child(instance=home)
    publish(home)
    site = Site.objects.get(is_default_site=True)
    site.root_page = home
    site.save()
    about = StandardPage(
        title="About us",
        slug="about",
        locale=english,
        show_in_menus=True,
        intro="We are a registered charity.",
        body=[("heading", {"text": "Our story", "level": "h2"})],
    )
    home.add_child(instance=about)
    publish(about)
    home_ar = translate(home, arabic, title="الرئيسية", hero_heading="الماء لكل قرية", hero_text="تبرع مرة أو شهريًا.")
    about_ar = translate(
        about,
        arabic,
        title="من نحن",
        intro="نحن جمعية خيرية مسجلة.",
        body=[("heading", {"text": "قصتنا", "level": "h2"})],
    )
    organisation = OrganisationSettings.for_site(site)
    organisation.organisation_name = "Wells of Hope"
    organisation.organisation_name_ar = "آبار الأمل"
    organisation.charity_number = "JO-1234"
    organisation.save()
    return SiteTree(site, english, arabic, home, home_ar, about, about_ar)


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser(
        username="editor", email="editor@example.org", password="correct horse battery staple"
    )


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client
