"""The Stripe webhook endpoint: payloads signed in the test with Stripe's real scheme."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import pytest

from donations.models import Donation, DonationEvent, RecurringGift, WebhookEvent
from supporters.models import Supporter

pytestmark = pytest.mark.django_db
SECRET = "whsec_test_signing_secret_for_our_endpoint"


@pytest.fixture(autouse=True)
def _stripe_keys(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


def signed(payload: dict | bytes, *, secret: str = SECRET, at: int | None = None) -> tuple[bytes, str]:
    """Stripe's scheme: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body" with the endpoint secret>."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = int(time.time()) if at is None else at
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={timestamp},v1={signature}"


def post(client, payload, **kwargs):
    body, header = signed(payload, **kwargs)
    return client.post("/webhooks/stripe/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def stripe_event(event_id: str, kind: str, obj: dict) -> dict:
    return {"id": event_id, "object": "event", "type": kind, "created": int(time.time()), "livemode": False,
            "api_version": "2024-06-20", "data": {"object": obj}}  # fmt: skip


@pytest.fixture
def gift(db) -> Donation:
    supporter = Supporter.objects.create(email="donor@example.org", name="Donor")
    return Donation.objects.create(
        supporter=supporter, amount_minor=5000, currency="USD", gateway="stripe", payment_intent_id="pi_123"
    )


def succeeded(event_id: str = "evt_1") -> dict:
    return stripe_event(event_id, "payment_intent.succeeded", {"id": "pi_123", "object": "payment_intent",
                        "amount": 5000, "amount_received": 5000, "currency": "usd", "latest_charge": "ch_123"})  # fmt: skip


def test_a_signed_event_is_stored_acknowledged_and_applied(client, gift, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, succeeded())
    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert (stored.gateway, stored.event_id, stored.event_type, stored.status) == (
        "stripe", "evt_1", "payment_intent.succeeded", "processed"
    )  # fmt: skip
    gift.refresh_from_db()
    assert gift.status == "succeeded" and gift.charge_id == "ch_123"


def test_a_redelivered_event_is_stored_once(client, gift, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert post(client, succeeded()).status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert DonationEvent.objects.filter(kind="succeeded").count() == 1


@pytest.mark.parametrize(
    ("header", "why"),
    [
        (None, "missing"),
        ("t=1,v1=deadbeef", "forged"),
        ("garbage", "malformed"),
    ],
)
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(client, gift, caplog, header, why):
    body = json.dumps(succeeded()).encode()
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
    with caplog.at_level(logging.WARNING, logger="donations.views"):
        response = client.post("/webhooks/stripe/", body, content_type="application/json", **extra)
    assert response.status_code == 400, why
    assert not WebhookEvent.objects.exists()
    assert "Stripe webhook refused: bad or missing signature" in caplog.text


def test_a_signature_with_another_secret_is_refused(client, gift):
    assert post(client, succeeded(), secret="whsec_someone_else").status_code == 400
    assert not WebhookEvent.objects.exists()


def test_an_old_signature_is_refused(client, gift):
    assert post(client, succeeded(), at=int(time.time()) - 3600).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_changed_body_breaks_the_signature(client, gift):
    body, header = signed(succeeded())
    tampered = body.replace(b"5000", b"9000")
    response = client.post("/webhooks/stripe/", tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_a_signed_body_that_is_not_an_event_is_refused(client):
    assert post(client, b"[1, 2, 3]").status_code == 400
    assert post(client, b"not json").status_code == 400
    assert not WebhookEvent.objects.exists()


def test_without_a_signing_secret_nothing_is_accepted(client, gift, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    assert post(client, succeeded()).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_only_post_is_allowed(client):
    assert client.get("/webhooks/stripe/").status_code == 405


def test_unknown_types_are_stored_and_acknowledged(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, stripe_event("evt_x", "customer.tax_id.created", {"id": "txi_1"}))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED


def test_an_event_for_a_payment_we_do_not_know_yet_is_kept_for_later(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, succeeded("evt_early"))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.RETRYING


def test_disputes_built_and_signed_in_the_test(client, gift, django_capture_on_commit_callbacks):
    dispute = {"id": "dp_1", "object": "dispute", "amount": 5000, "currency": "usd", "charge": "ch_123",
               "payment_intent": "pi_123", "reason": "fraudulent"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        post(client, succeeded())
        post(client, stripe_event("evt_d1", "charge.dispute.created", {**dispute, "status": "needs_response"}))
    gift.refresh_from_db()
    assert gift.status == "disputed"
    with django_capture_on_commit_callbacks(execute=True):
        post(client, stripe_event("evt_d2", "charge.dispute.closed", {**dispute, "status": "won"}))
    gift.refresh_from_db()
    assert (gift.status, gift.dispute_status) == ("succeeded", "won")
    kinds = list(gift.events.values_list("kind", flat=True))
    assert kinds == ["succeeded", "dispute_opened", "confirmation_sent", "dispute_won"]


def test_payouts_built_and_signed_in_the_test(client, django_capture_on_commit_callbacks):
    payout = {"id": "po_1", "object": "payout", "amount": 123456, "currency": "usd", "arrival_date": 1_800_000_000,
              "status": "paid"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, stripe_event("evt_p1", "payout.paid", payout)).status_code == 200
    recorded = DonationEvent.objects.get(kind="payout_paid")
    assert (recorded.amount_minor, recorded.currency, recorded.detail["payout"]) == (123456, "USD", "po_1")


def test_every_required_event_type_is_handled(client, gift, django_capture_on_commit_callbacks):
    recurring = RecurringGift.objects.create(
        supporter=gift.supporter, amount_minor=2000, currency="USD", gateway="stripe", subscription_id="sub_1"
    )
    charge = {"id": "ch_123", "object": "charge", "payment_intent": "pi_123", "amount": 5000, "currency": "usd"}
    pi = {"id": "pi_123", "object": "payment_intent", "amount": 5000, "currency": "usd"}
    inv = {"object": "invoice", "subscription": "sub_1", "currency": "usd", "amount_paid": 2000, "amount_due": 2000}
    events = [
        ("payment_intent.processing", pi),
        ("payment_intent.requires_action", pi),
        ("payment_intent.payment_failed", {**pi, "last_payment_error": {"code": "card_declined"}}),
        ("payment_intent.succeeded", {**pi, "amount_received": 5000}),
        ("charge.refunded", {**charge, "amount_refunded": 500}),
        ("charge.dispute.created", {"id": "dp_9", "charge": "ch_123", "payment_intent": "pi_123", "amount": 4500,
                                    "currency": "usd", "status": "needs_response"}),
        ("charge.dispute.closed", {"id": "dp_9", "charge": "ch_123", "payment_intent": "pi_123", "amount": 4500,
                                   "currency": "usd", "status": "lost"}),
        ("invoice.paid", {**inv, "id": "in_1", "payment_intent": "pi_inv_1"}),
        ("invoice.payment_failed", {**inv, "id": "in_2", "payment_intent": "pi_inv_2"}),
        ("customer.subscription.updated", {"id": "sub_1", "object": "subscription", "status": "past_due"}),
        ("customer.subscription.deleted", {"id": "sub_1", "object": "subscription", "status": "canceled"}),
        ("payout.paid", {"id": "po_2", "object": "payout", "amount": 1000, "currency": "usd"}),
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        for number, (kind, obj) in enumerate(events):
            assert post(client, stripe_event(f"evt_all_{number}", kind, obj)).status_code == 200
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"processed"}
    gift.refresh_from_db()
    recurring.refresh_from_db()
    assert (gift.status, gift.amount_refunded_minor) == ("dispute_lost", 500)
    assert recurring.status == "canceled"
    assert [d.status for d in recurring.donations.order_by("invoice_id")] == ["succeeded", "failed"]
