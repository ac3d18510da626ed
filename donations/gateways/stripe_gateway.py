"""Stripe, through the official SDK, with the API version pinned.

The secret key stays on the server; the page gets only the publishable key
and a PaymentIntent's client secret. Every create call carries an
idempotency key derived from our own ids, so a retry never makes a second
charge at Stripe; our database keeps the same guarantee on its side (one
PaymentIntent id per gift, set under a row lock).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.utils import timezone

from donations.gateways.base import (
    CardDetails,
    CardSetup,
    Gateway,
    GatewayError,
    PaymentSetup,
    RefundResult,
    SubscriptionChange,
    charge_date_on_day,
)

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


def _noon(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())


def _period_end(subscription: Any) -> date | None:
    """When the subscription next bills: the end of its trial (a moved day) or of its current period."""
    data = subscription.to_dict() if hasattr(subscription, "to_dict") else dict(subscription)
    when = data.get("trial_end") if data.get("status") == "trialing" else None
    when = when or data.get("current_period_end")
    return datetime.fromtimestamp(int(when), tz=UTC).date() if when else None


class _PortalCalls:
    """The portal's subscription and card calls (mixed into StripeGateway)."""

    client: stripe.StripeClient
    emulated: bool

    def _change(self, subscription_id: str, params: dict[str, Any], key: str) -> SubscriptionChange:
        try:
            subscription = self.client.v1.subscriptions.update(
                subscription_id, params=params, options={"idempotency_key": key}
            )
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        status = subscription.status
        if status == "active" and subscription.to_dict().get("pause_collection"):
            status = "paused"
        return SubscriptionChange(status=status, next_charge_on=_period_end(subscription))

    def subscription_change_amount(
        self, recurring: RecurringGift, *, amount_minor: int, idempotency_key: str
    ) -> SubscriptionChange:
        """A new monthly price for the new amount replaces the old one on the subscription's one item."""
        try:
            subscription = self.client.v1.subscriptions.retrieve(recurring.subscription_id)
            item = subscription["items"].data[0].id
            price_id = self._recurring_price_for(recurring.currency, amount_minor, idempotency_key)
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        if self.emulated:
            params: dict[str, Any] = {"items": [{"id": item, "plan": price_id}]}
        else:
            params = {"items": [{"id": item, "price": price_id}], "proration_behavior": "none"}
        change = self._change(recurring.subscription_id, params, idempotency_key)
        return SubscriptionChange(status=change.status, next_charge_on=change.next_charge_on, price_id=price_id)

    def subscription_change_day(
        self, recurring: RecurringGift, *, day: int, idempotency_key: str
    ) -> SubscriptionChange:
        """Stripe cannot move a billing anchor to a future day directly: a free period (trial_end) until then does."""
        try:
            subscription = self.client.v1.subscriptions.retrieve(recurring.subscription_id)
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        scheduled = _period_end(subscription) or recurring.next_charge_on
        next_on = charge_date_on_day(day=day, scheduled=scheduled, today=timezone.localdate())
        params: dict[str, Any] = {"trial_end": _noon(next_on)}
        if not self.emulated:
            params["proration_behavior"] = "none"
        change = self._change(recurring.subscription_id, params, idempotency_key)
        return SubscriptionChange(status=change.status, next_charge_on=next_on)

    def subscription_pause(
        self, recurring: RecurringGift, *, resumes_on: date, idempotency_key: str
    ) -> SubscriptionChange:
        # Invoices during the pause are voided (nothing is owed later); collection resumes the day before the charge.
        resumes_at = _noon(resumes_on - timedelta(days=1))
        params = {"pause_collection": {"behavior": "void", "resumes_at": resumes_at}}
        self._change(recurring.subscription_id, params, idempotency_key)
        return SubscriptionChange(status="paused", next_charge_on=resumes_on)

    def subscription_resume(self, recurring: RecurringGift, *, idempotency_key: str) -> SubscriptionChange:
        return self._change(recurring.subscription_id, {"pause_collection": ""}, idempotency_key)

    def subscription_cancel(self, recurring: RecurringGift, *, idempotency_key: str) -> SubscriptionChange:
        try:
            subscription = self.client.v1.subscriptions.cancel(
                recurring.subscription_id, options={"idempotency_key": idempotency_key}
            )
        except stripe.InvalidRequestError as exc:
            if exc.code == "resource_missing":
                return SubscriptionChange(status="canceled")  # ended at Stripe already
            raise _fail(exc) from exc
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        return SubscriptionChange(status=subscription.status)

    def card_setup_start(self, supporter: Supporter, *, customer_id: str, idempotency_key: str) -> CardSetup:
        try:
            intent = self.client.v1.setup_intents.create(
                params={
                    "customer": customer_id,
                    "usage": "off_session",
                    "payment_method_types": ["card"],
                    "metadata": {"supporter": str(supporter.pk)},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        return CardSetup(setup_id=intent.id, client_secret=intent.client_secret)

    def card_setup_finish(self, setup_id: str, *, customer_id: str) -> CardDetails:
        try:
            intent = self.client.v1.setup_intents.retrieve(setup_id)
            if intent.customer != customer_id or intent.status != "succeeded" or not intent.payment_method:
                raise GatewayError("The card was not saved.", code=intent.status or "")
            method = self.client.v1.payment_methods.retrieve(
                intent.payment_method if isinstance(intent.payment_method, str) else intent.payment_method.id
            )
            if not method.customer:
                # Stripe attaches a SetupIntent's card to its customer; the emulator leaves it to us.
                method = self.client.v1.payment_methods.attach(method.id, params={"customer": customer_id})
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        card = method.card
        return CardDetails(
            payment_method_id=method.id,
            brand=card.brand or "",
            last4=card.last4 or "",
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def subscriptions_card_set(
        self, recurrings: list[RecurringGift], *, customer_id: str, payment_method_id: str, idempotency_key: str
    ) -> None:
        """The customer's default card, each subscription's card, and a past-due invoice paid with it."""
        try:
            self.client.v1.customers.update(
                customer_id,
                params={"invoice_settings": {"default_payment_method": payment_method_id}},
                options={"idempotency_key": f"{idempotency_key}-customer"},
            )
            for recurring in recurrings:
                if not recurring.subscription_id:
                    continue
                if not self.emulated:  # the emulator's subscriptions always use the customer's default
                    self.client.v1.subscriptions.update(
                        recurring.subscription_id,
                        params={"default_payment_method": payment_method_id},
                        options={"idempotency_key": f"{idempotency_key}-{recurring.pk}"},
                    )
                if recurring.status == "past_due":
                    subscription = self.client.v1.subscriptions.retrieve(recurring.subscription_id)
                    invoice_id = subscription.latest_invoice
                    invoice = self.client.v1.invoices.retrieve(invoice_id) if invoice_id else None
                    if invoice is not None and invoice.status == "open":
                        self.client.v1.invoices.pay(
                            invoice.id,
                            params={"payment_method": payment_method_id},
                            options={"idempotency_key": f"{idempotency_key}-{invoice.id}"},
                        )
        except stripe.CardError:
            return None  # the retry failed: the gateway reports it (invoice.payment_failed), the card is saved
        except stripe.StripeError as exc:
            raise _fail(exc) from exc
        return None


class StripeGateway(_PortalCalls, Gateway):
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
        return self._recurring_price_for(recurring.currency, recurring.amount_minor, idempotency_key)

    def _recurring_price_for(self, currency: str, amount_minor: int, idempotency_key: str) -> str:
        """A monthly price for this amount, made on the fly (on the emulator, a Plan: Stripe takes it as a price)."""
        product = {"name": f"Monthly gift {currency} {amount_minor}"}
        if self.emulated:
            plan = self.client.v1.plans.create(
                params={"amount": amount_minor, "currency": currency.lower(), "interval": "month", "product": product},
                options={"idempotency_key": f"{idempotency_key}-plan"},
            )
            return plan.id
        price = self.client.v1.prices.create(
            params={
                "unit_amount": amount_minor,
                "currency": currency.lower(),
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
