"""The Stripe path against the localstripe emulator on loopback: the real SDK, real HTTP, signed webhooks.

The emulator plays Stripe; its webhooks are signed with the endpoint secret
we give it and delivered to a live server, where our endpoint verifies them.
What the browser does with Stripe.js (attach a card, confirm) the test does
with the SDK, as Stripe.js would.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
import stripe
from django.db import connection
from django.test import Client

from donations.gateways.stripe_gateway import API_VERSION
from donations.models import Donation, RecurringGift, WebhookEvent
from donations.services import donation_refund
from tests.donations.conftest import gift_form

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SECRET = "whsec_localstripe_endpoint_secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail(f"localstripe did not start: {process.stderr.read().decode()[-2000:]}")
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_site(settings, localstripe, live_server, donate_page) -> Iterator:
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_API_BASE = localstripe
    # The emulator signs every event it sends to our endpoint with this secret.
    response = requests.post(
        f"{localstripe}/_config/webhooks/ours",
        data={"url": f"{live_server.url}/webhooks/stripe/", "secret": SECRET},
        timeout=10,
    )
    response.raise_for_status()
    yield donate_page
    # The emulator delivers webhooks after its API calls return. Send the rest nowhere, and let the
    # ones already on their way finish, before the test's database is flushed under them.
    requests.post(
        f"{localstripe}/_config/webhooks/ours", data={"url": "http://127.0.0.1:9/", "secret": SECRET}, timeout=10
    ).raise_for_status()
    settle_webhooks()


def settle_webhooks(quiet_seconds: float = 1.0, limit: float = 15.0) -> None:
    """Wait until no webhook has arrived, and none waits to be applied, for ``quiet_seconds``."""
    deadline = time.monotonic() + limit
    last, quiet_since = None, time.monotonic()
    while time.monotonic() < deadline:
        state = (WebhookEvent.objects.count(), WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).count())
        if state != last:
            last, quiet_since = state, time.monotonic()
        elif state[1] == 0 and time.monotonic() - quiet_since >= quiet_seconds:
            return
        time.sleep(0.1)


@pytest.fixture
def sdk(localstripe) -> stripe.StripeClient:
    """Stripe as the browser's Stripe.js and the dashboard reach it."""
    return stripe.StripeClient("sk_test_localstripe", base_addresses={"api": localstripe}, stripe_version=API_VERSION)


def wait_for(check: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"gave up waiting after {seconds} s: {[(e.event_type, e.status) for e in WebhookEvent.objects.all()]}")


def pay_with_card(sdk: stripe.StripeClient, payment_intent: str, number: str = "4242424242424242") -> None:
    card = sdk.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2039, "cvc": "123"}}
    )
    sdk.v1.payment_intents.update(payment_intent, params={"payment_method": card.id})
    sdk.v1.payment_intents.confirm(payment_intent)


def test_a_one_time_gift(stripe_site, sdk):
    client = Client()
    start = client.post("/donate/start/", gift_form(stripe_site.form_config()))
    payment_page = client.get(start["Location"])
    donation = Donation.objects.get()
    assert donation.gateway == "stripe" and donation.payment_intent_id.startswith("pi_")
    body = payment_page.content.decode()
    assert 'data-publishable-key="pk_test_localstripe"' in body
    assert f'data-client-secret="{donation.client_secret}"' in body
    assert "sk_test_localstripe" not in body
    assert "https://js.stripe.com" in payment_page["Content-Security-Policy"]

    intent = sdk.v1.payment_intents.retrieve(donation.payment_intent_id)
    assert (intent.amount, intent.currency, intent.metadata["donation"]) == (5000, "usd", str(donation.reference))
    pay_with_card(sdk, donation.payment_intent_id)
    # Where Stripe sends the donor back: we read the PaymentIntent at once...
    thanks = client.get(f"/donate/{donation.reference}/return/", follow=True)
    assert "Thank you, Huda Haddad!" in thanks.content.decode()
    # ...and the emulator's signed webhooks, verified by our endpoint, agree.
    wait_for(lambda: WebhookEvent.objects.filter(event_type="payment_intent.succeeded", status="processed").exists())
    donation.refresh_from_db()
    assert donation.status == "succeeded"
    assert donation.events.filter(kind="succeeded").count() == 1


def test_a_refund_through_stripe(stripe_site, sdk, django_user_model):
    client = Client()
    client.post("/donate/start/", gift_form(stripe_site.form_config()))
    client.get(f"/donate/{Donation.objects.get().reference}/pay/")
    donation = Donation.objects.get()
    pay_with_card(sdk, donation.payment_intent_id)
    wait_for(lambda: Donation.objects.get().status == "succeeded")
    staff = django_user_model.objects.create_superuser("staff", "staff@example.org", "a long staff password")
    import uuid

    donation_refund(donation=Donation.objects.get(), amount_minor=2000, reason="Asked by donor", user=staff,
                    request_id=uuid.uuid4())  # fmt: skip
    donation.refresh_from_db()
    assert (donation.status, donation.amount_refunded_minor) == ("partially_refunded", 2000)
    charge = sdk.v1.charges.retrieve(donation.charge_id)
    assert charge.amount_refunded == 2000
    assert list(donation.events.filter(kind="refunded").values_list("amount_minor", flat=True)) == [2000]


def test_a_monthly_gift(stripe_site, sdk):
    """A returning donor whose saved card pays the first month at once.

    (localstripe cannot leave a subscription's first invoice open for the
    Payment Element, so the card is saved on the customer first, as a
    returning donor's would be.)
    """
    from donations.gateways.stripe_gateway import StripeGateway
    from supporters.services import supporter_for_email

    supporter = supporter_for_email(email="huda@example.org", name="Huda Haddad")
    customer = StripeGateway().customer_for(supporter)
    card = sdk.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2039, "cvc": "123"}}
    )
    sdk.v1.payment_methods.attach(card.id, params={"customer": customer})
    sdk.v1.customers.update(customer, params={"invoice_settings": {"default_payment_method": card.id}})

    client = Client()
    start = client.post("/donate/start/", gift_form(stripe_site.form_config(), frequency="monthly", amount="2000"))
    assert client.get(start["Location"]).status_code in (200, 302)
    recurring = RecurringGift.objects.get()
    assert recurring.subscription_id.startswith("sub_") and recurring.price_id.startswith("plan_")
    subscription = sdk.v1.subscriptions.retrieve(recurring.subscription_id)
    assert subscription.items.data[0].plan.amount == 2000
    wait_for(lambda: Donation.objects.filter(recurring_gift=recurring, status="succeeded").exists())
    first = Donation.objects.get(recurring_gift=recurring)
    assert (first.amount_minor, first.invoice_id) == (2000, subscription.latest_invoice)


def test_twenty_concurrent_copies_of_one_submission_make_one_payment_intent(stripe_site, sdk):
    data = gift_form(stripe_site.form_config())
    barrier = threading.Barrier(20)
    statuses: list[tuple[int, int]] = []

    def submit() -> None:
        try:
            client = Client()
            barrier.wait(timeout=30)
            response = client.post("/donate/start/", data)
            statuses.append((response.status_code, client.get(response["Location"]).status_code))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [(302, 200)] * 20
    donation = Donation.objects.get()
    intents = [pi for pi in sdk.v1.payment_intents.list(params={"limit": 100}).data
               if pi.to_dict().get("metadata", {}).get("donation") == str(donation.reference)]  # fmt: skip
    assert [pi.id for pi in intents] == [donation.payment_intent_id]
