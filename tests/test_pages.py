"""What a reader sees: pages in English and Arabic, navigation, language switching, search."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from wagtail.models import Page

from cms.models import OrganisationSettings, StandardPage
from tests.conftest import publish


def html_tag(content: bytes) -> str:
    return re.search(r"<html[^>]*>", content.decode()).group(0)


def test_home_page_in_english_is_left_to_right(client, site_tree):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="en"' in html_tag(response.content)
    assert 'dir="ltr"' in html_tag(response.content)
    body = response.content.decode()
    assert "Water for every village" in body
    assert "Wells drilled this year: twelve." in body
    assert "bootstrap.min.css" in body
    assert "bootstrap.rtl.min.css" not in body


def test_home_page_in_arabic_is_right_to_left(client, site_tree):
    response = client.get("/ar/")
    assert response.status_code == 200
    assert 'lang="ar"' in html_tag(response.content)
    assert 'dir="rtl"' in html_tag(response.content)
    body = response.content.decode()
    assert "الماء لكل قرية" in body
    assert "bootstrap.rtl.min.css" in body
    assert "noto-sans-arabic" in body
    # Organisation name from site settings, in the reader's language.
    assert "آبار الأمل" in body


def test_arabic_ui_strings_are_translated(client, site_tree):
    body = client.get("/ar/").content.decode()
    assert "Skip to main content" not in body
    assert "تخطَّ إلى المحتوى الرئيسي" in body
    assert "رقم تسجيل الجمعية الخيرية JO-1234" in body


def test_standard_page_shows_title_intro_and_body(client, site_tree):
    response = client.get("/about/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1" in body and "About us" in body
    assert "We are a registered charity." in body
    assert "Our story" in body
    arabic = client.get("/ar/about/").content.decode()
    assert "قصتنا" in arabic and "نحن جمعية خيرية مسجلة." in arabic


def test_main_menu_lists_pages_in_the_readers_language(client, site_tree):
    english = client.get("/").content.decode()
    arabic = client.get("/ar/").content.decode()
    assert 'href="/about/"' in english
    assert 'href="/ar/about/"' in arabic
    assert ">من نحن<" in arabic


def test_language_switcher_links_each_page_to_its_translation(client, site_tree):
    body = client.get("/about/").content.decode()
    assert 'href="/ar/about/" hreflang="ar" lang="ar"' in body
    assert '<link rel="alternate" hreflang="ar" href="http://testserver/ar/about/">' in body
    arabic = client.get("/ar/about/").content.decode()
    assert 'href="/about/" hreflang="en" lang="en"' in arabic


def test_language_switcher_falls_back_to_home_when_no_translation(client, site_tree):
    only_english = StandardPage(title="Annual report", slug="report", locale=site_tree.english)
    site_tree.home.add_child(instance=only_english)
    publish(only_english)
    body = client.get("/report/").content.decode()
    assert 'href="/ar/" hreflang="ar"' in body


def test_draft_translation_is_not_offered(client, site_tree):
    site_tree.about_ar.unpublish()
    body = client.get("/about/").content.decode()
    assert 'href="/ar/about/"' not in body
    assert client.get("/ar/about/").status_code == 404


def test_unknown_page_is_a_translated_404(client, site_tree):
    response = client.get("/ar/no-such-page/")
    assert response.status_code == 404
    assert 'dir="rtl"' in html_tag(response.content)
    assert "الصفحة غير موجودة" in response.content.decode()


def test_footer_shows_organisation_details(client, site_tree):
    body = client.get("/").content.decode()
    assert "Wells of Hope" in body
    assert "Registered charity number JO-1234" in body


def test_footer_links_use_the_readers_language(client, site_tree):
    organisation = OrganisationSettings.for_site(site_tree.site)
    organisation.footer_links = [
        ("link", {"page": site_tree.about, "label": "", "label_ar": ""}),
        ("link", {"url": "https://example.org/annual-report", "label": "Annual report", "label_ar": "التقرير السنوي"}),
    ]
    organisation.save()
    english = client.get("/").content.decode()
    arabic = client.get("/ar/").content.decode()
    assert '<a href="/about/">About us</a>' in english
    assert '<a href="https://example.org/annual-report">Annual report</a>' in english
    assert '<a href="/ar/about/">من نحن</a>' in arabic
    assert '<a href="https://example.org/annual-report">التقرير السنوي</a>' in arabic


def test_search_finds_pages_in_the_readers_language_only(client, site_tree):
    response = client.get("/search/", {"q": "registered charity"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "1 result for" in body
    assert 'href="/about/"' in body
    arabic = client.get("/ar/search/", {"q": "جمعية"}).content.decode()
    assert 'href="/ar/about/"' in arabic
    assert 'href="/about/"' not in arabic.split('role="status"')[1]


def test_search_without_a_query_shows_the_form(client, site_tree):
    response = client.get("/search/")
    assert response.status_code == 200
    assert 'id="search-query"' in response.content.decode()
    assert "result" not in response.content.decode().split("</form>")[-1]


def test_search_paginates(client, site_tree):
    for number in range(12):
        page = StandardPage(title=f"Well report {number}", slug=f"well-{number}", intro="borehole depth")
        site_tree.home.add_child(instance=page)
        publish(page)
    first = client.get("/search/", {"q": "borehole"}).content.decode()
    assert "12 results" in first
    assert "Page 1 of 2" in first
    second = client.get("/search/", {"q": "borehole", "page": 2}).content.decode()
    assert "Page 2 of 2" in second
    assert second.count('<li class="mb-3">') == 2


def test_search_ignores_unpublished_pages(client, site_tree):
    draft = StandardPage(title="Secret plan", slug="secret", intro="confidential strategy", live=False)
    site_tree.home.add_child(instance=draft)
    assert "0 results" in client.get("/search/", {"q": "confidential"}).content.decode()


@pytest.mark.parametrize("path", ["/", "/ar/", "/about/", "/ar/about/", "/search/?q=water"])
def test_public_pages_load_nothing_from_other_hosts(client, site_tree, path):
    body = client.get(path).content.decode()
    for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
        for match in re.finditer(rf"<{tag}\b[^>]*\b{attribute}=\"([^\"]+)\"", body):
            url = match.group(1)
            if tag == "link" and 'rel="alternate"' in match.group(0):
                continue
            assert not re.match(r"^(https?:)?//", url) or url.startswith("http://testserver/"), url


def test_page_urls_resolve_per_locale(site_tree):
    with translation.override("ar"):
        assert Page.objects.get(pk=site_tree.about_ar.pk).url == "/ar/about/"
    assert Page.objects.get(pk=site_tree.about.pk).url == "/about/"


def test_server_error_page_speaks_both_languages(client, site_tree, settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong" in html and "حدث خطأ" in html
    assert 'lang="ar" dir="rtl"' in html


def test_expired_form_gets_a_friendly_page_in_both_languages(site_tree):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Please try again" in body and "يرجى المحاولة مجددًا" in body
    assert "Nothing was sent." in body
