"""Reminders 24 hours and 15 minutes before a participant's slot: each sent exactly once, in their language."""
# ruff: noqa: F811 (the march fixtures are imported from test_marches_fixtures and named as arguments)

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from campaigns.marches.models import MarchParticipant, MarchSlot
from campaigns.marches.selectors import time_key
from campaigns.marches.services import participant_register
from campaigns.marches.tasks import march_reminders_send
from tests.campaigns.test_marches_fixtures import arabic_march, live_march, on_commit, second_target  # noqa: F401


def book(march, email: str, language: str = "en") -> MarchParticipant:
    slot = MarchSlot.objects.filter(march=march).order_by("starts_at").last()
    return participant_register(
        march=march, name="Huda", email=email, region="Amman", language=language, slot=time_key(slot.starts_at)
    ).participant


def call_in(participant: MarchParticipant, delta: timedelta) -> None:
    """Move the participant's call to ``delta`` from now, as if they had registered two days ago."""
    now = timezone.now()
    MarchParticipant.objects.filter(pk=participant.pk).update(call_at=now + delta, created_at=now - timedelta(days=2))


def test_the_day_before_and_the_quarter_hour_before_each_go_exactly_once(live_march):
    participant = book(live_march, "huda@example.org")
    mail.outbox.clear()
    call_in(participant, timedelta(hours=25))
    march_reminders_send.delay()
    assert mail.outbox == []  # not yet

    call_in(participant, timedelta(hours=23, minutes=59))
    march_reminders_send.delay()
    march_reminders_send.delay()  # the task runs again: nothing more is sent
    [day] = mail.outbox
    assert day.to == ["huda@example.org"] and day.subject.startswith("Tomorrow at ")
    assert "tel:+96265550100" in day.body and "I am calling to ask the minister" in day.body
    assert f"/act/marches/you/{participant.token}/" in day.body
    html = day.alternatives[0][0]
    assert 'href="tel:+96265550100"' in html

    call_in(participant, timedelta(minutes=14))
    march_reminders_send.delay()
    march_reminders_send.delay()
    assert len(mail.outbox) == 2
    soon = mail.outbox[1]
    assert soon.subject.startswith("In 15 minutes: your call at ")
    assert "tel:+96265550100" in soon.body
    participant.refresh_from_db()
    assert participant.reminder_day_sent_at and participant.reminder_soon_sent_at


def test_someone_who_registers_late_gets_no_day_before_reminder(live_march):
    participant = book(live_march, "late@example.org")
    mail.outbox.clear()
    MarchParticipant.objects.filter(pk=participant.pk).update(call_at=timezone.now() + timedelta(hours=3))
    march_reminders_send.delay()
    assert mail.outbox == []  # their confirmation has it all


def test_letter_only_participants_get_no_call_reminders(live_march):
    participant_register(march=live_march, name="Writer", email="w@example.org", region="Amman", language="en",
                         slot="letter")  # fmt: skip
    mail.outbox.clear()
    march_reminders_send.delay()
    assert mail.outbox == []


def test_reminders_are_in_the_participants_language(arabic_march, live_march):
    participant = book(live_march, "mona@example.org", language="ar")
    mail.outbox.clear()
    call_in(participant, timedelta(minutes=10))
    march_reminders_send.delay()
    [message] = mail.outbox
    assert "مرحبًا، اسمي" in message.body  # the Arabic call script
    assert "tel:+96265550100" in message.body
    assert "/ar/act/marches/you/" in message.body
    html = message.alternatives[0][0]
    assert 'dir="rtl"' in html and "رنا خليل" in html
    assert message.subject.startswith("بعد ربع ساعة: مكالمتك الساعة ")
