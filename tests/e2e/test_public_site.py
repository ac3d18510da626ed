"""The public site in a real browser: both languages, phone and desktop, with and without JavaScript."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The site's pages are what these tests look at; the demo gifts (and their receipt PDFs) only slow them down.
GIFTS = "donations.demo.load_demo_gifts"
INSIGHTS = "donations.demo.load_demo_insights"  # a year of analytics gifts: not what these tests look at


@pytest.fixture
def demo_site(live_server):
    call_command("load_demo", verbosity=0, skip=[GIFTS, INSIGHTS])


PAGES = [
    ("home-en", "/", "ltr"),
    ("home-ar", "/ar/", "rtl"),
    ("about-en", "/about/", "ltr"),
    ("about-ar", "/ar/about/", "rtl"),
    ("our-work-ar", "/ar/our-work/", "rtl"),
    ("search-en", "/search/?q=water", "ltr"),
    ("search-ar", "/ar/search/?q=%D8%A8%D8%A6%D8%B1", "rtl"),
]


@pytest.mark.parametrize(("name", "path", "direction"), PAGES, ids=[p[0] for p in PAGES])
def test_pages_render_accessibly_on_desktop(visitor, demo_site, name, path, direction):
    page = visitor.go(path)
    assert page.locator("html").get_attribute("dir") == direction
    assert page.locator("h1").count() == 1
    visitor.screenshot(f"desktop-{name}")
    assert visitor.serious_accessibility_violations() == []
    assert visitor.csp_violations() == []
    assert visitor.outside_requests == []


@pytest.mark.parametrize(("name", "path", "direction"), PAGES[:4], ids=[p[0] for p in PAGES[:4]])
def test_pages_render_accessibly_on_a_phone(phone_visitor, demo_site, name, path, direction):
    page = phone_visitor.go(path)
    assert page.locator("html").get_attribute("dir") == direction
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_visitor.screenshot(f"phone-{name}")
    assert phone_visitor.serious_accessibility_violations() == []


def test_arabic_text_uses_our_own_arabic_font(visitor, demo_site):
    page = visitor.go("/ar/")
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px \"Noto Sans Arabic\"', 'مياه')")
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert family.startswith('"Noto Sans Arabic"')


def test_phone_menu_opens_with_the_toggle(phone_visitor, demo_site):
    page = phone_visitor.go("/")
    about = page.locator("#site-nav").get_by_role("link", name="About us", include_hidden=True)
    assert not about.is_visible()
    page.get_by_role("button", name="Show or hide the menu").click()
    about.wait_for(state="visible")
    about.click()
    page.wait_for_url("**/about/")
    assert page.locator("h1").inner_text() == "About us"


def test_without_javascript_a_phone_can_navigate_switch_language_and_search(
    phone_visitor_without_javascript, demo_site
):
    visitor = phone_visitor_without_javascript
    page = visitor.go("/about/")
    page.locator('#site-nav a[hreflang="ar"]').click()
    page.wait_for_url("**/ar/about/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.get_by_role("link", name="عملنا").first.click()
    page.wait_for_url("**/ar/our-work/")
    page.get_by_label("ابحث في هذا الموقع").fill("الآبار")
    page.get_by_role("button", name="بحث").first.click()
    page.wait_for_url("**/ar/search/?q=*")
    status = page.get_by_role("status").inner_text()
    # The count's wording follows Arabic plural rules (نتيجة، نتيجتان، نتائج) as the demo grows.
    assert "«الآبار»" in status and any(word in status for word in ("نتيجة", "نتيجتان", "نتائج")), status
    visitor.screenshot("phone-nojs-search-ar")
    assert visitor.outside_requests == []


def test_embedded_video_loads_only_when_asked(visitor, demo_site):
    page = visitor.go("/our-work/")
    assert page.locator("iframe").count() == 0
    assert visitor.outside_requests == []
    page.get_by_role("button", name="Play here (loads content from youtube.com)").click()
    frame = page.locator("iframe")
    frame.wait_for(state="attached")
    assert frame.get_attribute("src") == "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"
    assert frame.get_attribute("title") == "A year of your gifts, in three minutes"


def test_skip_link_moves_focus_to_the_content(visitor, demo_site):
    page = visitor.go("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
