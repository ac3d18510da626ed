"""The full-page cache: shared by anonymous readers, never stale after a publish, never personal."""

from __future__ import annotations

import pytest

from cms.models import OrganisationSettings
from tests.conftest import publish


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 300


def test_second_anonymous_visit_is_served_from_cache(client, site_tree):
    first = client.get("/")
    second = client.get("/")
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"].startswith("text/html")


def test_languages_are_cached_separately(client, site_tree):
    client.get("/")
    arabic = client.get("/ar/")
    assert arabic["X-Page-Cache"] == "miss"
    assert 'dir="rtl"' in arabic.content.decode()
    assert client.get("/ar/")["X-Page-Cache"] == "hit"


def test_publishing_a_change_shows_at_once(client, site_tree):
    client.get("/about/")
    assert client.get("/about/")["X-Page-Cache"] == "hit"
    site_tree.about.intro = "Now in four governorates."
    publish(site_tree.about)
    response = client.get("/about/")
    assert response["X-Page-Cache"] == "miss"
    assert "Now in four governorates." in response.content.decode()


def test_unpublishing_removes_the_page_at_once(client, site_tree):
    client.get("/about/")
    site_tree.about.unpublish()
    assert client.get("/about/").status_code == 404


def test_changing_site_settings_shows_at_once(client, site_tree):
    client.get("/")
    organisation = OrganisationSettings.for_site(site_tree.site)
    organisation.charity_number = "JO-9999"
    organisation.save()
    assert "JO-9999" in client.get("/").content.decode()


def test_signed_in_editors_always_get_a_fresh_page(staff_client, site_tree):
    staff_client.get("/")
    response = staff_client.get("/")
    assert "X-Page-Cache" not in response


def test_query_strings_bypass_the_cache(client, site_tree):
    client.get("/about/?utm_source=newsletter")
    response = client.get("/about/?utm_source=newsletter")
    assert response.status_code == 200
    assert "X-Page-Cache" not in response


def test_cache_can_be_switched_off(client, site_tree, settings):
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/")
    assert "X-Page-Cache" not in client.get("/")


def test_not_found_is_not_cached(client, site_tree):
    client.get("/missing/")
    assert client.get("/missing/").status_code == 404
    assert "X-Page-Cache" not in client.get("/missing/")


def test_a_hit_needs_no_database_and_keeps_the_security_headers(client, site_tree, django_assert_num_queries):
    client.get("/about/")
    with django_assert_num_queries(0):
        response = client.get("/about/")
    assert response["X-Page-Cache"] == "hit"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_restricting_a_page_takes_it_out_of_the_cache(client, site_tree):
    from wagtail.models import PageViewRestriction

    client.get("/about/")
    PageViewRestriction.objects.create(page=site_tree.about, restriction_type="password", password="s3cret")
    response = client.get("/about/")
    assert response.status_code == 200
    assert "X-Page-Cache" not in response
    assert "Our story" not in response.content.decode()
    assert client.get("/about/").get("X-Page-Cache") != "hit"


def test_a_page_rendered_across_a_publish_is_never_served(rf, settings):
    from django.core.cache import cache
    from django.http import HttpResponse

    from cms.page_cache import GENERATION_KEY, lookup, page_cache_clear, share

    first = rf.get("/about/")
    assert lookup(first) is None  # a miss: the request notes the current generation
    page_cache_clear()  # an editor publishes while the page renders
    share(first, HttpResponse("the old text"))
    assert lookup(rf.get("/about/")) is None

    fresh = rf.get("/about/")
    lookup(fresh)
    share(fresh, HttpResponse("the new text"))
    assert lookup(rf.get("/about/")).content == b"the new text"

    # If the cache loses the counter, nothing stored before counts.
    cache.delete(GENERATION_KEY)
    assert lookup(rf.get("/about/")) is None
