"""Fixtures for the virtual march tests (imported by the other test_marches_* files), and the page's own checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from campaigns.marches.models import VirtualMarchPage
from campaigns.models import Target
from tests.conftest import publish, translate

LETTER = (
    "Dear {target_name},\n\nAs your constituent in {supporter_region}, I ask you, as {target_role}, "
    "to fund clean wells in every village.\n\n{supporter_name}"
)
LETTER_AR = (
    "حضرة {target_name}،\n\nبصفتي من سكان {supporter_region}، أطلب منكم تمويل آبار نظيفة لكل قرية.\n\n{supporter_name}"
)


def minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def window_fields(start: datetime, end: datetime) -> dict:
    """Window fields for a march from ``start`` to ``end`` (aware), written in UTC."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    return {"window_date": start.date(), "start_time": start.time(), "end_time": end.time(), "time_zone": "UTC"}


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what a request queued after its commit (emails, letters), as a real request would."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def second_target(db) -> Target:
    return Target.objects.create(
        name="Khaled Odeh",
        name_ar="خالد عودة",
        role="Member of Parliament",
        role_ar="عضو مجلس النواب",
        region="Irbid",
        phone="+962 2 555 0200",
        email="k.odeh.private@example.gov",
    )


def make_march(campaign, targets, *, start: datetime, end: datetime, **fields) -> VirtualMarchPage:
    values = {
        "title": "Call for clean water",
        "slug": "call-for-water",
        "intro": "One day, every office, every few seconds.",
        "calls_per_minute": Decimal("1"),
        "slot_minutes": 5,
        "call_script": "Hello, my name is ... I am calling to ask the minister to fund wells.",
        "talking_points": "<p>Half the villages have no clean water.</p>",
        "letter_subject": "Clean water for {supporter_region}",
        "letter_template": LETTER,
        "letters_per_target": 2,
        "letters_period": VirtualMarchPage.LetterPeriod.MINUTE,
        **window_fields(start, end),
        **fields,
    }
    page = VirtualMarchPage(**values)
    campaign.add_child(instance=page)
    page.targets.set(targets)
    page.save()
    return publish(page)


@pytest.fixture
def live_march(campaign, target, second_target) -> VirtualMarchPage:
    """A march that started 10 minutes ago and runs for another 50 (slots of 5 minutes, 5 people each)."""
    now = minute(timezone.now())
    return make_march(campaign, [target, second_target], start=now - timedelta(minutes=10),
                      end=now + timedelta(minutes=50))  # fmt: skip


@pytest.fixture
def future_march(campaign, target, second_target) -> VirtualMarchPage:
    """A march two days from now, for two hours."""
    start = minute(timezone.now()) + timedelta(days=2)
    return make_march(campaign, [target, second_target], start=start, end=start + timedelta(hours=2),
                      slug="call-in-two-days")  # fmt: skip


@pytest.fixture
def arabic_march(site_tree, live_march) -> VirtualMarchPage:
    campaign_ar = translate(live_march.get_parent().specific, site_tree.arabic, title="مياه نظيفة الآن")
    del campaign_ar
    return translate(
        live_march,
        site_tree.arabic,
        title="اتصل من أجل المياه النظيفة",
        call_script="مرحبًا، اسمي ... أتصل لأطلب تمويل الآبار.",
        letter_subject="مياه نظيفة لـ {supporter_region}",
        letter_template=LETTER_AR,
    )


@translation.override("en")
def test_unknown_merge_fields_are_refused_with_the_names(live_march):
    live_march.letter_template = "Dear {target_name}, from {supporter_email} in {town}"
    with pytest.raises(ValidationError) as caught:
        live_march.full_clean()
    message = " ".join(caught.value.message_dict["letter_template"])
    assert "{supporter_email}, {town}" in message
    assert "{supporter_name}" in message  # says what is allowed
    live_march.letter_template = "Dear {target_name"
    with pytest.raises(ValidationError) as caught:
        live_march.full_clean()
    assert "unmatched" in " ".join(caught.value.message_dict["letter_template"])
    live_march.letter_template = LETTER
    live_march.full_clean()


def test_the_window_is_in_the_time_zone_staff_chose(live_march):
    from datetime import date, time

    live_march.window_date = date(2027, 3, 10)
    live_march.start_time, live_march.end_time = time(10, 0), time(14, 0)
    live_march.time_zone = "Asia/Amman"  # UTC+3
    assert live_march.window_start == datetime(2027, 3, 10, 7, 0, tzinfo=UTC)
    assert live_march.window_end == datetime(2027, 3, 10, 11, 0, tzinfo=UTC)
    live_march.start_time, live_march.end_time = time(20, 0), time(2, 0)  # overnight
    assert live_march.window_end - live_march.window_start == timedelta(hours=6)
    live_march.time_zone = "Mars/Olympus"
    with pytest.raises(ValidationError) as caught:
        live_march.full_clean()
    assert "time_zone" in caught.value.message_dict
