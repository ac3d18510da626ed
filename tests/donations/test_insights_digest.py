"""The weekly Insights digest: sent once per week to staff with the analytics permission."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.contrib.auth.models import Permission
from django.core import mail

from donations.insights.digest import digest_send
from donations.insights.services import insights_fold
from tests.donations.insights_helpers import gift, monthly, organisation, supporter


def test_the_digest_goes_once_a_week_to_analysts_only(site_tree, django_user_model):
    organisation(site_tree.site, currency="USD", time_zone="UTC")
    analyst = django_user_model.objects.create_user(username="analyst", email="analyst@example.org", password="x")
    analyst.user_permissions.add(Permission.objects.get(codename="view_insights"))
    django_user_model.objects.create_user(username="editor", email="editor@example.org", password="x")
    person = supporter("donor@example.org")
    # The week of Monday 16 November 2026 against the week before.
    gift(person, datetime(2026, 11, 10, 12, tzinfo=UTC), 1000, utm_source="newsletter")
    gift(person, datetime(2026, 11, 17, 12, tzinfo=UTC), 9000, utm_source="newsletter")
    lapsing = supporter("monthly@example.org")
    gift(
        lapsing, datetime(2026, 10, 1, 12, tzinfo=UTC), 2000, frequency="monthly", recurring_gift=monthly(lapsing, 2000)
    )
    insights_fold()

    assert digest_send(today=date(2026, 11, 25)) == 1
    assert digest_send(today=date(2026, 11, 26)) == 0  # the same week: not again
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["analyst@example.org"]
    assert "2026-11-16" in message.subject
    assert "Gifts: 1 (the week before: 1)" in message.body
    assert "UTM source: newsletter: $10.00 → $90.00 ($80.00)" in message.body
    assert "1 monthly donor has lapsed" in message.body and "$20.00 a month" in message.body
