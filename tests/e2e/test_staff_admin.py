"""Staff in the Wagtail admin: sign in, create and publish a page, translate it to Arabic."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cms.models import StandardPage

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The site's pages are what these tests look at; the demo gifts (and their receipt PDFs) only slow them down.
GIFTS = "donations.demo.load_demo_gifts"
INSIGHTS = "donations.demo.load_demo_insights"  # a year of analytics gifts: not what these tests look at


@pytest.fixture
def staff(live_server, django_user_model):
    call_command("load_demo", verbosity=0, skip=[GIFTS, INSIGHTS])
    return django_user_model.objects.create_superuser("staff", "staff@example.org", "a long staff password")


def sign_in(visitor) -> None:
    page = visitor.go("/admin/login/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill("a long staff password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def publish(page) -> None:
    page.locator("footer .w-dropdown__toggle").click()
    page.locator('footer button[name="action-publish"]').click()
    page.wait_for_load_state("networkidle")


def test_staff_publish_a_page_and_translate_it_to_arabic(visitor, staff):
    sign_in(visitor)
    visitor.screenshot("admin-dashboard")
    home = StandardPage.objects.get(slug="about", locale__language_code="en").get_parent()

    # Create and publish an English page.
    page = visitor.go(f"/admin/pages/add/cms/standardpage/{home.pk}/")
    page.locator("#id_title").fill("Volunteer with us")
    page.locator("#id_intro").fill("Give your time at a distribution day.")
    visitor.screenshot("admin-editor")
    publish(page)
    created = StandardPage.objects.get(title="Volunteer with us")
    assert created.live
    assert created.slug == "volunteer-with-us"

    public = visitor.go("/volunteer-with-us/")
    assert public.locator("h1").inner_text() == "Volunteer with us"
    assert public.locator("html").get_attribute("dir") == "ltr"

    # Translate it with Wagtail's translation action, then write the Arabic and publish.
    page = visitor.go(f"/admin/translation/submit/page/{created.pk}/")
    visitor.screenshot("admin-translate")
    page.get_by_label("Arabic").check()
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/edit/")
    page.locator("#id_title").fill("تطوّع معنا")
    page.locator("#id_intro").fill("امنح وقتك في يوم توزيع.")
    publish(page)
    arabic = StandardPage.objects.get(translation_key=created.translation_key, locale__language_code="ar")
    assert arabic.live

    # Readers reach it from the English page's language switcher (the slug follows the Arabic title).
    english = visitor.go("/volunteer-with-us/")
    english.locator('#site-nav a[hreflang="ar"]').click()
    english.wait_for_url(f"**{arabic.url}")
    assert arabic.url.startswith("/ar/")
    assert english.locator("html").get_attribute("dir") == "rtl"
    assert english.locator("h1").inner_text() == "تطوّع معنا"
    assert "امنح وقتك في يوم توزيع." in english.content()
    visitor.screenshot("public-translated-page-ar")
    # Wagtail's user bar on public pages works under the strict policy too.
    assert english.locator("wagtail-userbar").count() == 1
    assert visitor.csp_violations() == []
