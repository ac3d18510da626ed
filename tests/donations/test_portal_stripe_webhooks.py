"""The Stripe side of the portal that localstripe cannot play, as Stripe reports it: signed webhooks.

localstripe has no ``pause_collection`` and no invoice retry schedule, so
pausing, resuming by itself, and failed instalments with Stripe's retries are
tested with the events Stripe sends, signed here with Stripe's real scheme.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime

import pytest
from django.core import mail

from donations.models import Donation, DonationEvent, RecurringGift
from supporters.models import Supporter
from tests.donations.test_webhooks import post, stripe_event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stripe_keys(settings):
    from tests.donations.test_webhooks import SECRET

    settings.STRIPE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def monthly(db) -> RecurringGift:
    supporter = Supporter.objects.create(email="donor@example.org", name="Donor", language="en")
    return RecurringGift.objects.create(
        supporter=supporter, amount_minor=2000, currency="USD", gateway="stripe", status="active",
        subscription_id="sub_123", customer_id="cus_123",
    )  # fmt: skip


def subscription(status="active", **fields) -> dict:
    return {"id": "sub_123", "object": "subscription", "status": status, "pause_collection": None, **fields}


def noon(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())


def test_a_paused_subscription_is_paused_until_stripe_resumes_it(client, monthly, django_capture_on_commit_callbacks):
    resumes = date(2027, 3, 2)
    pause = {"behavior": "void", "resumes_at": noon(resumes)}
    with django_capture_on_commit_callbacks(execute=True):
        post(client, stripe_event("evt_pause", "customer.subscription.updated", subscription(pause_collection=pause)))
    monthly.refresh_from_db()
    assert (monthly.status, monthly.paused_until) == ("paused", resumes)
    # At resumes_at Stripe clears pause_collection by itself and tells us.
    later = stripe_event("evt_resumed", "customer.subscription.updated", subscription())
    later["created"] = int(time.time()) + 5
    with django_capture_on_commit_callbacks(execute=True):
        post(client, later)
    monthly.refresh_from_db()
    assert (monthly.status, monthly.paused_until) == ("active", None)


def failed_invoice(event_id: str, attempt: int, next_attempt: int | None) -> dict:
    return stripe_event(event_id, "invoice.payment_failed", {
        "id": "in_renewal", "object": "invoice", "subscription": "sub_123", "payment_intent": "pi_renewal",
        "amount_due": 2000, "currency": "usd", "status": "open", "attempt_count": attempt,
        "next_payment_attempt": next_attempt,
    })  # fmt: skip


def test_stripes_retries_then_final_failure_leave_the_gift_past_due_with_one_email(
    client, monthly, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, failed_invoice("evt_f1", 1, int(time.time()) + 3 * 86_400))
        post(client, stripe_event("evt_s1", "customer.subscription.updated", subscription("past_due")))
    monthly.refresh_from_db()
    instalment = Donation.objects.get(invoice_id="in_renewal")
    assert instalment.status == "failed" and monthly.status == "past_due" and monthly.past_due_since is None
    assert [m.subject for m in mail.outbox] == ["Your monthly gift could not be taken"]
    assert re.search(r"/account/gifts/card/link/[^/\s]+/", mail.outbox[0].body)

    with django_capture_on_commit_callbacks(execute=True):
        post(client, failed_invoice("evt_f4", 4, None))  # Stripe's final try: no next attempt
        # With "mark the subscription as unpaid" in Stripe's settings, the subscription stays.
        post(client, stripe_event("evt_s4", "customer.subscription.updated", subscription("unpaid")))
    monthly.refresh_from_db()
    assert monthly.status == "past_due" and monthly.past_due_since is not None and monthly.canceled_at is None
    assert monthly.events.filter(kind=DonationEvent.Kind.PAST_DUE).count() == 1
    assert len(mail.outbox) == 1  # one email per failed instalment
    # The same event delivered again changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        post(client, failed_invoice("evt_f4", 4, None))
    assert monthly.events.filter(kind=DonationEvent.Kind.PAST_DUE).count() == 1


def test_the_card_that_pays_an_instalment_is_saved_with_its_expiry(client, monthly, django_capture_on_commit_callbacks):
    Donation.objects.create(supporter=monthly.supporter, recurring_gift=monthly, amount_minor=2000, currency="USD",
                            gateway="stripe", payment_intent_id="pi_first", invoice_id="in_first")  # fmt: skip
    charge = {"id": "ch_first", "object": "charge", "payment_intent": "pi_first", "invoice": "in_first",
              "payment_method": "pm_card_1", "payment_method_details": {"type": "card", "card": {
                  "brand": "visa", "last4": "4242", "exp_month": 1, "exp_year": 2027}}}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        post(client, stripe_event("evt_ch", "charge.succeeded", charge))
    monthly.refresh_from_db()
    card = monthly.payment_card
    assert (card.payment_method_id, card.last4, card.exp_month, card.exp_year) == ("pm_card_1", "4242", 1, 2027)
