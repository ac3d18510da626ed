"""Emails about gifts: once each, in the donor's language."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail

from donations.gateways.sandbox import SandboxGateway, find_test_card
from donations.services import (
    GiftRequest,
    donation_confirmation_send,
    donation_start,
    payment_prepare,
    tribute_notice_send,
)

pytestmark = pytest.mark.django_db


def paid(language: str = "en", **extra) -> object:
    gift, _ = donation_start(
        gift=GiftRequest(
            attempt_id=uuid.uuid4(),
            amount_minor=7000,
            currency="JOD",
            frequency="one_time",
            name="سلمى" if language == "ar" else "Salma",
            email="salma@example.org",
            language=language,
            **extra,
        )
    )
    gift = payment_prepare(donation=gift)
    SandboxGateway().pay(gift, find_test_card("4242424242424242"))
    from donations.models import WebhookEvent
    from donations.services.webhooks import webhook_event_apply

    for event in WebhookEvent.objects.order_by("pk"):
        webhook_event_apply(pk=event.pk)
    gift.refresh_from_db()
    return gift


def test_the_confirmation_is_sent_once_however_often_the_task_runs(site_tree):
    gift = paid()
    assert donation_confirmation_send(donation_id=gift.pk) is True
    assert donation_confirmation_send(donation_id=gift.pk) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[TEST] Thank you for your gift to Wells of Hope"
    assert "JOD7.000" in message.body
    assert "Registered charity number JO-1234" in message.body
    html = message.alternatives[0][0]
    assert '<html lang="en" dir="ltr">' in html


def test_an_arabic_donor_is_thanked_in_arabic(site_tree):
    gift = paid("ar")
    donation_confirmation_send(donation_id=gift.pk)
    message = mail.outbox[0]
    assert message.subject == "[اختبار] شكرًا على تبرعك لـآبار الأمل"
    assert "مرحبًا سلمى،" in message.body
    assert "د.أ." in message.body
    assert '<html lang="ar" dir="rtl">' in message.alternatives[0][0]


def test_unpaid_gifts_get_no_confirmation(site_tree):
    gift, _ = donation_start(
        gift=GiftRequest(
            attempt_id=uuid.uuid4(),
            amount_minor=7000,
            currency="JOD",
            frequency="one_time",
            name="Salma",
            email="salma@example.org",
        )
    )
    assert donation_confirmation_send(donation_id=gift.pk) is False
    assert mail.outbox == []


def test_the_tribute_notice_is_sent_once(site_tree):
    gift = paid(tribute="honour", tribute_name="Our teacher", tribute_notify_email="class@example.org")
    assert tribute_notice_send(donation_id=gift.pk) is True
    assert tribute_notice_send(donation_id=gift.pk) is False
    notices = [m for m in mail.outbox if m.to == ["class@example.org"]]
    assert len(notices) == 1 and notices[0].subject == "A gift in honour of Our teacher"
