"""The portal's Stripe calls through the real SDK against localstripe: amount, day, cancel and a new card.

Pausing (``pause_collection``) is not in localstripe: see test_portal_stripe_webhooks.py
and docs/portal.md for how that part is covered.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client

from donations.gateways.stripe_gateway import StripeGateway
from donations.models import Donation, DonationEvent, PaymentCard, RecurringGift
from donations.services import webhook_event_store
from supporters.services import supporter_for_email
from tests.donations.conftest import gift_form
from tests.donations.portal_helpers import LINK, request_id_from
from tests.donations.test_stripe import localstripe, sdk, stripe_site, wait_for  # noqa: F401 - fixtures

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def card(sdk, number="4242424242424242", exp_year=2039):  # noqa: F811
    return sdk.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": exp_year, "cvc": "123"}}
    )


@pytest.fixture
def monthly(stripe_site, sdk):  # noqa: F811
    """A monthly gift at Stripe, paid by the customer's saved card (as in test_stripe.test_a_monthly_gift)."""
    supporter = supporter_for_email(email="huda@example.org", name="Huda Haddad")
    customer = StripeGateway().customer_for(supporter)
    saved = card(sdk)
    sdk.v1.payment_methods.attach(saved.id, params={"customer": customer})
    sdk.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": saved.id}})
    client = Client()
    start = client.post("/donate/start/", gift_form(stripe_site.form_config(), frequency="monthly", amount="2000"))
    client.get(start["Location"])
    wait_for(lambda: Donation.objects.filter(status="succeeded").exists())
    recurring = RecurringGift.objects.get()
    # localstripe sends no customer.subscription.updated when the first invoice is paid; Stripe does. Deliver
    # that event as Stripe would, from the subscription as the emulator has it.
    subscription = sdk.v1.subscriptions.retrieve(recurring.subscription_id).to_dict()
    assert subscription["status"] == "active"
    with transaction.atomic():
        webhook_event_store(gateway="stripe", payload={"id": f"evt_sync_{subscription['id']}", "object": "event",
                            "type": "customer.subscription.updated", "created": int(time.time()),
                            "data": {"object": subscription}})  # fmt: skip
    wait_for(lambda: RecurringGift.objects.filter(status="active").exists())
    return RecurringGift.objects.get()


@pytest.fixture
def signed_in() -> Client:
    client = Client()
    client.post("/account/sign-in/", {"email": "huda@example.org", "website": ""})
    path = LINK.search(mail.outbox[-1].body).group(1)
    assert client.post(path).status_code == 302
    return client


def post_form(client, gift, action, data):
    path = f"/account/gifts/monthly/{gift.reference}/{action}/"
    page = client.get(f"/account/gifts/monthly/{gift.reference}/" if action != "cancel" else path).content.decode()
    return client.post(path, {**data, "request_id": request_id_from(page, path)})


def test_changing_the_amount_changes_the_subscriptions_price(monthly, signed_in, sdk):  # noqa: F811
    assert post_form(signed_in, monthly, "amount", {"amount": "35"}).status_code == 302
    monthly.refresh_from_db()
    assert monthly.amount_minor == 3500 and monthly.price_id.startswith("plan_")
    subscription = sdk.v1.subscriptions.retrieve(monthly.subscription_id)
    assert subscription["items"].data[0].plan.amount == 3500
    assert monthly.events.filter(kind=DonationEvent.Kind.AMOUNT_CHANGED).count() == 1


def test_changing_the_day_moves_the_next_invoice(monthly, signed_in, sdk):  # noqa: F811
    assert post_form(signed_in, monthly, "day", {"day": "12"}).status_code == 302
    monthly.refresh_from_db()
    assert monthly.next_charge_on.day == 12
    subscription = sdk.v1.subscriptions.retrieve(monthly.subscription_id)
    assert datetime.fromtimestamp(subscription.trial_end, tz=UTC).date() == monthly.next_charge_on


def test_cancelling_ends_the_subscription_at_stripe(monthly, signed_in, sdk):  # noqa: F811
    assert post_form(signed_in, monthly, "cancel", {}).status_code == 302
    assert sdk.v1.subscriptions.retrieve(monthly.subscription_id).status == "canceled"
    wait_for(lambda: RecurringGift.objects.get().events.filter(kind="subscription_canceled").exists())
    assert RecurringGift.objects.get().status == "canceled"


def test_a_new_card_through_a_setup_intent_pays_every_monthly_gift(monthly, signed_in, sdk):  # noqa: F811
    page = signed_in.get("/account/gifts/card/")
    body = page.content.decode()
    secret = re.search(r'data-client-secret="(seti_[^"]+)"', body).group(1)
    assert 'data-publishable-key="pk_test_localstripe"' in body and "sk_test_localstripe" not in body
    assert "https://js.stripe.com" in page["Content-Security-Policy"]
    setup_id = secret.split("_secret_")[0]
    # What Stripe.js does with the Payment Element: confirm the SetupIntent with the new card.
    new = card(sdk, exp_year=2034)
    sdk.v1.setup_intents.confirm(setup_id, params={"payment_method": new.id})
    # Stripe sends the browser back here.
    response = signed_in.get(f"/account/gifts/card/done/?setup_intent={setup_id}")
    assert response.status_code == 302 and response["Location"] == "/account/gifts/"
    monthly.refresh_from_db()
    assert monthly.payment_card.payment_method_id == new.id and monthly.payment_card.exp_year == 2034
    customer = sdk.v1.customers.retrieve(monthly.customer_id)
    assert customer.invoice_settings.default_payment_method == new.id
    # Coming back to the same address again changes nothing twice.
    signed_in.get(f"/account/gifts/card/done/?setup_intent={setup_id}")
    assert monthly.events.filter(kind=DonationEvent.Kind.CARD_UPDATED).count() == 1
    assert PaymentCard.objects.filter(payment_method_id=new.id).count() == 1


def test_a_setup_intent_of_another_customer_is_refused(monthly, signed_in, sdk):  # noqa: F811
    other = sdk.v1.customers.create(params={"email": "other@example.org"})
    intent = sdk.v1.setup_intents.create(params={"customer": other.id})
    sdk.v1.setup_intents.confirm(intent.id, params={"payment_method": card(sdk).id})
    response = signed_in.get(f"/account/gifts/card/done/?setup_intent={intent.id}", follow=True)
    assert "Your card could not be saved" in response.content.decode()
    assert not monthly.events.filter(kind=DonationEvent.Kind.CARD_UPDATED).exists()
