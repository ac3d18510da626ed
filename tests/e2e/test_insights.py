"""Insights in a real browser: every page readable, without serious accessibility violations, in English and Arabic."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SECTIONS = ["when", "calendar", "gifts", "donors", "sources", "people"]


@pytest.fixture
def analyst(live_server, django_user_model):
    call_command("load_demo", verbosity=0, skip=["donations.demo.load_demo_gifts"])
    return django_user_model.objects.create_superuser("analyst", "analyst@example.org", "a long analyst password")


def sign_in(visitor) -> None:
    page = visitor.go("/admin/login/")
    page.get_by_label("Username").fill("analyst")
    page.get_by_label("Password").fill("a long analyst password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def test_every_insights_page_is_accessible(visitor, analyst):
    sign_in(visitor)
    for section in SECTIONS:
        page = visitor.go(f"/admin/insights/{section}/")
        assert page.locator("svg.insights-chart, table.insights-heatmap").count() >= 1
        assert page.locator("table").count() >= 1
        visitor.screenshot(f"insights-{section}")
        assert visitor.serious_accessibility_violations() == [], section


def test_insights_in_arabic_render_right_to_left(visitor, analyst):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(analyst)
    profile.preferred_language = "ar"
    profile.save()
    sign_in(visitor)
    page = visitor.go("/admin/insights/calendar/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    visitor.screenshot("insights-calendar-ar")
    assert visitor.serious_accessibility_violations() == []
