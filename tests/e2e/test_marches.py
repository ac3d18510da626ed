"""Joining a virtual march on a phone, in English and Arabic: register, book a slot, report the call in the room."""

# ruff: noqa: F811 (fixtures are imported from the campaigns tests and named as arguments)
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from campaigns.marches.models import MarchAction, MarchParticipant
from campaigns.marches.tasks import march_counters_fold
from tests.campaigns.conftest import campaign, target  # noqa: F401
from tests.campaigns.test_marches_fixtures import arabic_march, live_march, second_target  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WORDS = {
    "en": {"name": "Huda Haddad", "slot_heading": "here is your part", "thanks": "Thank you: your call is counted."},
    "ar": {"name": "هدى حداد", "slot_heading": "هذا دورك", "thanks": "شكرًا لك: احتُسبت مكالمتك."},
}


@pytest.mark.parametrize("language", ["en", "ar"])
def test_register_book_a_slot_and_report_the_call(
    phone_visitor, phone_visitor_without_javascript, live_march, arabic_march, language, settings
):
    settings.MARCH_POLL_MILLISECONDS = 1000
    settings.MARCH_FOLD_ON_WRITE = False  # as in production: the periodic task folds, the script polls
    words = WORDS[language]
    march = arabic_march if language == "ar" else live_march
    page = phone_visitor.go(march.url)
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    page.locator("#id_name").fill(words["name"])
    page.locator("#id_email").fill(f"huda-{language}@example.org")
    page.locator("#id_region").select_option("Amman")
    page.locator("#id_slot").select_option(index=0)  # the first time with places left
    phone_visitor.screenshot(f"marches-{language}-1-register")
    assert phone_visitor.serious_accessibility_violations() == []
    page.locator("form.march-register button[type=submit]").last.click()

    page.wait_for_url("**/act/marches/you/**")
    assert words["slot_heading"] in page.locator("#slot-heading").inner_text()
    assert page.locator(".march-slot").count() == 1
    assert page.locator("a[href='tel:+96265550100']").first.is_visible()
    phone_visitor.screenshot(f"marches-{language}-2-room")
    assert phone_visitor.serious_accessibility_violations() == []

    call = page.locator("form.march-call").first
    call.locator("input[value=reached]").check()
    call.locator("button[type=submit]").click()
    page.wait_for_url("**/act/marches/you/**")
    expect(page.get_by_text(words["thanks"])).to_be_visible()
    participant = MarchParticipant.objects.get(supporter__email=f"huda-{language}@example.org")
    assert participant.language == language
    assert list(MarchAction.objects.values_list("kind", "outcome")) == [("call", "reached")]

    # The counters were as of the page load; once folded, the room's script (or a reload) shows the new numbers.
    assert page.locator("[data-scope=totals][data-count=calls]").inner_text() == "0"
    march_counters_fold.delay()
    expect(page.locator("[data-scope=totals][data-count=calls]")).to_have_text("1", timeout=5000)
    expect(page.locator("[data-scope=totals][data-count=registered]")).to_have_text("1")
    phone_visitor.screenshot(f"marches-{language}-3-reported")
    assert phone_visitor.serious_accessibility_violations() == []
    assert phone_visitor.csp_violations() == []
    assert phone_visitor.outside_requests == []

    # Without JavaScript the room still works: plain forms, and the numbers of the page load.
    plain = phone_visitor_without_javascript.go(page.url.removeprefix(phone_visitor.base_url))
    assert plain.locator("[data-scope=totals][data-count=calls]").inner_text() == "1"
    second = plain.locator("form.march-call").first  # the office already reported no longer has a form
    second.locator("input[value=busy]").check()
    second.locator("button[type=submit]").click()
    plain.wait_for_url("**/act/marches/you/**")
    expect(plain.get_by_text(words["thanks"])).to_be_visible()
    phone_visitor_without_javascript.screenshot(f"marches-{language}-4-without-javascript")
    assert sorted(MarchAction.objects.values_list("outcome", flat=True)) == ["busy", "reached"]
