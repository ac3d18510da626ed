"""Stripe, through the official SDK, with the API version pinned.

The secret key stays on the server; the page gets only the publishable key
and a PaymentIntent's client secret. Every create call carries an
idempotency key derived from our own ids, so a retry never makes a second
charge at Stripe; our database keeps the same guarantee on its side (one
PaymentIntent id per gift, set under a row lock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings

from donations.gateways.base import Gateway, GatewayError, PaymentSetup, RefundResult

if TYPE_CHECKING:
    from donations.models import Donation, RecurringGift
    from supporters.models import Supporter

# Kept while our code reads these shapes: invoice.payment_intent, PaymentIntent.latest_charge.
API_VERSION = "2024-06-20"


def stripe_client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        stripe_version=API_VERSION,
        base_addresses=base,
        max_network_retries=2,
    )


def _fail(exc: stripe.StripeError) -> GatewayError:
    return GatewayError(exc.user_message or str(exc) or "Stripe refused the request.", code=exc.code or "")


class StripeGateway(Gateway):
    name = "stripe"

    def __init__(self) -> None:
        self.client = stripe_client()

    @property
    def test_mode(self) -> bool:
        return settings.STRIPE_SECRET_KEY.startswith("sk_test_")

    def customer_for(self, supporter: Supporter) -> str:
        from donations.models import GatewayCustomer

        existing = GatewayCustomer.objects.filter(supporter=supporter, gateway=self.name).first()
        if existing:
            return existing.customer_id
        try:
            customer = self.client.v1.customers.create(
                params={"email": supporter.email, "name": supporter.name, "metadata": {"supporter": str(supporter.pk)}},
                options={"idempotency_key": f"customer-{supporter.pk}"},
            )
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        record, _created = GatewayCustomer.objects.get_or_create(
            supporter=supporter, gateway=self.name, defaults={"customer_id": customer.id}
        )
        return record.customer_id

    def create_payment(self, donation: Donation, *, customer_id: str, idempotency_key: str) -> PaymentSetup:
        params: dict[str, Any] = {
            "amount": donation.amount_minor,
            "currency": donation.currency.lower(),
            "customer": customer_id,
            # Cards, and the wallets (Apple Pay, Google Pay) that carry cards, where the account allows.
            "payment_method_types": ["card"],
            "metadata": {"donation": str(donation.reference)},
        }
        try:
            intent = self.client.v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        return PaymentSetup(payment_intent_id=intent.id, client_secret=intent.client_secret, customer_id=customer_id)

    @property
    def emulated(self) -> bool:
        """Talking to the localstripe emulator (tests only, STRIPE_API_BASE set).

        It has no Prices API, no payment_settings and no default_incomplete; the
        few differences are confined to ``_recurring_price`` and ``create_subscription``.
        """
        return bool(settings.STRIPE_API_BASE)

    def _recurring_price(self, recurring: RecurringGift, idempotency_key: str) -> str:
        """A monthly price for this amount, made on the fly (on the emulator, a Plan: Stripe takes it as a price)."""
        product = {"name": f"Monthly gift {recurring.currency} {recurring.amount_minor}"}
        if self.emulated:
            plan = self.client.v1.plans.create(
                params={
                    "amount": recurring.amount_minor,
                    "currency": recurring.currency.lower(),
                    "interval": "month",
                    "product": product,
                },
                options={"idempotency_key": f"{idempotency_key}-plan"},
            )
            return plan.id
        price = self.client.v1.prices.create(
            params={
                "unit_amount": recurring.amount_minor,
                "currency": recurring.currency.lower(),
                "recurring": {"interval": "month"},
                "product_data": product,
            },
            options={"idempotency_key": f"{idempotency_key}-price"},
        )
        return price.id

    def create_subscription(self, recurring: RecurringGift, *, customer_id: str, idempotency_key: str) -> PaymentSetup:
        try:
            price_id = self._recurring_price(recurring, idempotency_key)
            params: dict[str, Any] = {
                "customer": customer_id,
                "items": [{"price": price_id}],
                # The donor pays the first invoice on our payment page; the card that pays it pays the next ones.
                "payment_behavior": "default_incomplete",
                "payment_settings": {"save_default_payment_method": "on_subscription"},
                "expand": ["latest_invoice.payment_intent"],
                "metadata": {"recurring_gift": str(recurring.reference)},
            }
            if self.emulated:
                # localstripe speaks the older dialect of the same request.
                del params["payment_settings"]
                params.update(items=[{"plan": price_id}], payment_behavior="allow_incomplete")
            subscription = self.client.v1.subscriptions.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        invoice = subscription.latest_invoice
        intent = invoice.payment_intent
        return PaymentSetup(
            payment_intent_id=intent.id,
            client_secret=intent.client_secret,
            customer_id=customer_id,
            invoice_id=invoice.id,
            subscription_id=subscription.id,
            price_id=price_id,
        )

    def refund(self, donation: Donation, *, amount_minor: int, reason: str, idempotency_key: str) -> RefundResult:
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": donation.payment_intent_id,
                    "amount": amount_minor,
                    "metadata": {"donation": str(donation.reference), "reason": reason[:450]},
                },
                options={"idempotency_key": idempotency_key},
            )
            charge = self.client.v1.charges.retrieve(refund.charge) if refund.charge else None
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        total = charge.amount_refunded if charge is not None else donation.amount_refunded_minor + amount_minor
        return RefundResult(refund_id=refund.id, total_refunded_minor=total)

    def retrieve_payment(self, payment_intent_id: str) -> dict[str, Any]:
        """The PaymentIntent as Stripe has it now (after the donor returns from the payment step)."""
        try:
            return self.client.v1.payment_intents.retrieve(payment_intent_id).to_dict()
        except stripe.StripeError as exc:
            raise _fail(exc) from exc


def webhook_verify(payload: bytes, signature: str | None) -> None:
    """Check the Stripe-Signature header against the raw body (default 5-minute tolerance)."""
    stripe.WebhookSignature.verify_header(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=stripe.Webhook.DEFAULT_TOLERANCE
    )
