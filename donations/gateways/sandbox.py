"""The sandbox: a test-mode gateway for the embedded default, with no keys and no network.

It answers to Stripe's test cards and writes Stripe-shaped events into the
same webhook store, so everything downstream (state, timeline, emails, the
ledger later) runs exactly as it does with Stripe:

- 4242 4242 4242 4242 succeeds;
- 4000 0000 0000 0002 is declined;
- 4000 0025 0000 3155 asks for authentication, which the donor passes or
  fails on a page of ours;
- 4000 0000 0000 0259 succeeds and is disputed later;
- 4000 0000 0000 0341 is saved as a card for monthly gifts, and declined whenever it is charged.

The card number is checked and dropped: only the brand and last four digits
travel on, in the events.
"""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
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

_NAMESPACE = uuid.UUID("7b0c1f0e-5a55-4d2b-9c1a-6b1e5c0a5d11")


class Outcome(enum.Enum):
    SUCCEED = "succeed"
    DECLINE = "decline"
    AUTHENTICATE = "authenticate"
    DISPUTE = "dispute"
    # Saved without trouble, declined whenever it is charged (Stripe's 4000 0000 0000 0341).
    FAIL_LATER = "faillater"


TEST_CARDS: dict[str, Outcome] = {
    "4242424242424242": Outcome.SUCCEED,
    "4000000000000002": Outcome.DECLINE,
    "4000002500003155": Outcome.AUTHENTICATE,
    "4000000000000259": Outcome.DISPUTE,
    "4000000000000341": Outcome.FAIL_LATER,
}


# After a failed monthly payment the sandbox tries again this many days later (then again, and so on);
# the try after the last of these is the final one, as with Stripe's default of four tries.
RETRY_DAYS = (3, 5, 7)


@dataclass(frozen=True)
class SandboxCard:
    outcome: Outcome
    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None

    @property
    def payment_method_id(self) -> str:
        """The pretend processor's id for this saved card: it names the test card's behaviour, never the number."""
        return f"pm_sbx_{self.outcome.value}_{self.last4}_{self.exp_month or 0:02d}{(self.exp_year or 0) % 100:02d}"


def saved_card_outcome(payment_method_id: str) -> Outcome:
    """How a saved sandbox card behaves when a monthly gift charges it."""
    parts = payment_method_id.split("_")
    try:
        return Outcome(parts[2])
    except (IndexError, ValueError):
        return Outcome.SUCCEED


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())


def luhn_valid(number: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def find_test_card(number: str) -> SandboxCard | None:
    """The test card this number is, or None. Only brand and last four leave this function."""
    digits = "".join(ch for ch in number if ch.isdigit())
    outcome = TEST_CARDS.get(digits)
    if outcome is None or not luhn_valid(digits):
        return None
    return SandboxCard(outcome=outcome, brand="visa", last4=digits[-4:])


def _id(prefix: str, *parts: object) -> str:
    return f"{prefix}_sbx_{uuid.uuid5(_NAMESPACE, ':'.join(map(str, parts))).hex[:24]}"


def sandbox_fee(amount_minor: int, currency: str) -> int:
    """The fee the sandbox's pretend processor keeps, from the same schedule the donor sees."""
    from donations.models import FeeRule

    rule = FeeRule.objects.filter(currency=currency).first()
    if rule is None:
        return 0
    return (amount_minor * rule.percent_bp + 9_999) // 10_000 + rule.fixed_minor


class SandboxGateway(Gateway):
    name = "sandbox"
    creates_payments_locally = True

    @property
    def test_mode(self) -> bool:
        return True

    # -- the Gateway interface ------------------------------------------------

    def customer_for(self, supporter: Supporter) -> str:
        # The pretend processor keeps no customers: the id follows from the supporter.
        return _id("cus", supporter.pk)

    def create_payment(self, donation: Donation, *, customer_id: str, idempotency_key: str) -> PaymentSetup:
        intent = _id("pi", idempotency_key)
        return PaymentSetup(
            payment_intent_id=intent, client_secret=f"{intent}_secret_{uuid.uuid4().hex}", customer_id=customer_id
        )

    def create_subscription(self, recurring: RecurringGift, *, customer_id: str, idempotency_key: str) -> PaymentSetup:
        intent = _id("pi", idempotency_key)
        return PaymentSetup(
            payment_intent_id=intent,
            client_secret=f"{intent}_secret_{uuid.uuid4().hex}",
            customer_id=customer_id,
            invoice_id=_id("in", idempotency_key),
            subscription_id=_id("sub", idempotency_key),
            price_id=_id("price", recurring.currency, recurring.amount_minor),
        )

    def refund(self, donation: Donation, *, amount_minor: int, reason: str, idempotency_key: str) -> RefundResult:
        refund_id = _id("re", idempotency_key)
        total = min(donation.amount_refunded_minor + amount_minor, donation.amount_minor)
        self.emit(
            "charge.refunded",
            self._charge(donation, amount_refunded=total, refunded=total >= donation.amount_minor),
            event_id=_id("evt", refund_id),
        )
        return RefundResult(refund_id=refund_id, total_refunded_minor=total)

    # -- monthly gifts changed in the portal: answered at once, reported as Stripe would --------

    def _subscription_updated(self, recurring: RecurringGift, key: str, **fields: Any) -> None:
        obj = {"id": recurring.subscription_id, "object": "subscription", "status": "active", "pause_collection": None}
        obj.update(fields)
        event = "customer.subscription.deleted" if obj["status"] == "canceled" else "customer.subscription.updated"
        self.emit(event, obj, event_id=_id("evt", recurring.subscription_id, key))

    def subscription_change_amount(
        self, recurring: RecurringGift, *, amount_minor: int, idempotency_key: str
    ) -> SubscriptionChange:
        price = _id("price", recurring.currency, amount_minor)
        status = recurring.gateway_status or "active"
        self._subscription_updated(recurring, idempotency_key, status=status)
        return SubscriptionChange(status=status, next_charge_on=recurring.next_charge_on, price_id=price)

    def subscription_change_day(
        self, recurring: RecurringGift, *, day: int, idempotency_key: str
    ) -> SubscriptionChange:
        next_on = charge_date_on_day(day=day, scheduled=recurring.next_charge_on, today=timezone.localdate())
        status = recurring.gateway_status or "active"
        self._subscription_updated(recurring, idempotency_key, status=status)
        return SubscriptionChange(status=status, next_charge_on=next_on)

    def subscription_pause(
        self, recurring: RecurringGift, *, resumes_on: date, idempotency_key: str
    ) -> SubscriptionChange:
        pause = {"behavior": "void", "resumes_at": _epoch(resumes_on)}
        self._subscription_updated(recurring, idempotency_key, pause_collection=pause)
        return SubscriptionChange(status="paused", next_charge_on=resumes_on)

    def subscription_resume(self, recurring: RecurringGift, *, idempotency_key: str) -> SubscriptionChange:
        today = timezone.localdate()
        next_on = recurring.next_charge_on or today + relativedelta(months=1)
        # The months skipped by the pause come back: the next charge is the first one on the usual day.
        while next_on - relativedelta(months=1) > today:
            next_on -= relativedelta(months=1)
        self._subscription_updated(recurring, idempotency_key)
        return SubscriptionChange(status="active", next_charge_on=next_on)

    def subscription_cancel(self, recurring: RecurringGift, *, idempotency_key: str) -> SubscriptionChange:
        self._subscription_updated(recurring, idempotency_key, status="canceled")
        return SubscriptionChange(status="canceled")

    def card_setup_start(self, supporter: Supporter, *, customer_id: str, idempotency_key: str) -> CardSetup:
        setup = _id("seti", idempotency_key)
        return CardSetup(setup_id=setup, client_secret=f"{setup}_secret_{uuid.uuid4().hex}")

    def card_setup_finish(self, setup_id: str, *, customer_id: str) -> CardDetails:
        raise GatewayError("The sandbox saves cards from its own form (card_save).")

    def card_save(self, card: SandboxCard) -> CardDetails:
        """The donor typed a test card into the sandbox's update-card form."""
        if card.outcome in (Outcome.DECLINE,):
            raise GatewayError("Your card was declined.", code="card_declined")
        return CardDetails(
            payment_method_id=card.payment_method_id,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def subscriptions_card_set(
        self, recurrings: list[RecurringGift], *, customer_id: str, payment_method_id: str, idempotency_key: str
    ) -> None:
        return None  # the pretend processor charges whatever card the gift names

    # -- what the donor does on our test-mode pages --------------------------

    def pay(self, donation: Donation, card: SandboxCard) -> Outcome:
        """Charge a test card for this gift, emitting what Stripe would."""
        if card.outcome in (Outcome.DECLINE, Outcome.FAIL_LATER):
            self._fail(donation, code="card_declined", message="Your card was declined.")
        elif card.outcome == Outcome.AUTHENTICATE:
            self.emit(
                "payment_intent.requires_action",
                self._intent(donation, "requires_action", card=card),
                event_id=_id("evt", donation.payment_intent_id, "requires_action", time.time_ns()),
            )
        else:
            self._succeed(donation, card)
            if card.outcome == Outcome.DISPUTE:
                from donations.tasks import sandbox_dispute_open

                sandbox_dispute_open.apply_async((donation.pk,), countdown=settings.SANDBOX_DISPUTE_DELAY_SECONDS)
        return card.outcome

    def authenticate(self, donation: Donation, *, passed: bool, card: SandboxCard) -> None:
        if passed:
            self._succeed(donation, card)
        else:
            self._fail(
                donation,
                code="payment_intent_authentication_failure",
                message="We are unable to authenticate your payment method.",
            )

    def _dispute(self, donation: Donation, status: str) -> dict[str, Any]:
        return {
            "id": _id("dp", donation.reference),
            "object": "dispute",
            "amount": donation.amount_minor,
            "currency": donation.currency.lower(),
            "charge": donation.charge_id,
            "payment_intent": donation.payment_intent_id,
            "reason": "fraudulent",
            "status": status,
        }

    def open_dispute(self, donation: Donation) -> None:
        dispute = self._dispute(donation, "needs_response")
        self.emit("charge.dispute.created", dispute, event_id=_id("evt", dispute["id"], "created"))

    def close_dispute(self, donation: Donation, *, won: bool) -> None:
        dispute = self._dispute(donation, "won" if won else "lost")
        self.emit("charge.dispute.closed", dispute, event_id=_id("evt", dispute["id"], "closed"))

    def renew(self, recurring: RecurringGift, *, period: str, attempt: int = 1) -> bool:
        """Charge one month of a monthly gift (``period`` like "2026-12"): invoice.paid once per period.

        A saved card that declines gives invoice.payment_failed instead, with the
        time of the next try (``RETRY_DAYS``), or none after the final try; the
        subscription turns past_due, then unpaid. Returns whether it was paid.
        """
        invoice = _id("in", recurring.subscription_id, period)
        intent = _id("pi", invoice)
        charge = _id("ch", intent)
        card = recurring.payment_card
        if card is not None and saved_card_outcome(card.payment_method_id) in (Outcome.DECLINE, Outcome.FAIL_LATER):
            final = attempt > len(RETRY_DAYS)
            next_try = None if final else int(time.time()) + RETRY_DAYS[attempt - 1] * 86_400
            self.emit(
                "invoice.payment_failed",
                {
                    "id": invoice,
                    "object": "invoice",
                    "subscription": recurring.subscription_id,
                    "payment_intent": intent,
                    "amount_due": recurring.amount_minor,
                    "currency": recurring.currency.lower(),
                    "status": "open",
                    "attempt_count": attempt,
                    "next_payment_attempt": next_try,
                },
                event_id=_id("evt", invoice, "failed", attempt),
            )
            self._subscription_updated(recurring, f"{invoice}:{attempt}", status="unpaid" if final else "past_due")
            return False
        if attempt > 1:
            self._subscription_updated(recurring, f"{invoice}:paid")
        self.emit(
            "invoice.paid",
            {
                "id": invoice,
                "object": "invoice",
                "subscription": recurring.subscription_id,
                "payment_intent": intent,
                "charge": charge,
                "amount_paid": recurring.amount_minor,
                "currency": recurring.currency.lower(),
                "status": "paid",
            },
            event_id=_id("evt", invoice, "paid"),
        )
        return True

    # -- events ------------------------------------------------------------------

    def emit(self, event_type: str, obj: dict[str, Any], *, event_id: str) -> None:
        from donations.services.webhooks import webhook_event_store

        webhook_event_store(
            gateway=self.name,
            payload={
                "id": event_id,
                "object": "event",
                "type": event_type,
                "created": int(time.time()),
                "livemode": False,
                "data": {"object": obj},
            },
        )

    def _intent(self, donation: Donation, status: str, *, card: SandboxCard | None = None, error: dict | None = None):
        return {
            "id": donation.payment_intent_id,
            "object": "payment_intent",
            "amount": donation.amount_minor,
            "amount_received": donation.amount_minor if status == "succeeded" else 0,
            "currency": donation.currency.lower(),
            "status": status,
            "customer": donation.customer_id,
            "invoice": donation.invoice_id,
            "latest_charge": _id("ch", donation.payment_intent_id) if status == "succeeded" else None,
            "last_payment_error": error,
            "metadata": {"donation": str(donation.reference)},
        }

    def _charge(self, donation: Donation, *, card: SandboxCard | None = None, **extra: Any) -> dict[str, Any]:
        charge = {
            "id": donation.charge_id or _id("ch", donation.payment_intent_id),
            "object": "charge",
            "amount": donation.amount_minor,
            "currency": donation.currency.lower(),
            "payment_intent": donation.payment_intent_id,
            "invoice": donation.invoice_id,
            "status": "succeeded",
        }
        if card is not None:
            charge["payment_method"] = card.payment_method_id
            charge["payment_method_details"] = {
                "type": "card",
                "card": {"brand": card.brand, "last4": card.last4, "exp_month": card.exp_month,
                         "exp_year": card.exp_year},
            }  # fmt: skip
            charge["balance_transaction"] = {
                "id": _id("txn", charge["id"]),
                "object": "balance_transaction",
                "fee": sandbox_fee(donation.amount_minor, donation.currency),
                "currency": donation.currency.lower(),
            }
        charge.update(extra)
        return charge

    def _succeed(self, donation: Donation, card: SandboxCard) -> None:
        intent = donation.payment_intent_id
        self.emit("charge.succeeded", self._charge(donation, card=card), event_id=_id("evt", intent, "charge"))
        self.emit(
            "payment_intent.succeeded",
            self._intent(donation, "succeeded", card=card),
            event_id=_id("evt", intent, "ok"),
        )
        if donation.recurring_gift_id:
            recurring = donation.recurring_gift
            self.emit(
                "invoice.paid",
                {
                    "id": donation.invoice_id,
                    "object": "invoice",
                    "subscription": recurring.subscription_id,
                    "payment_intent": intent,
                    "amount_paid": donation.amount_minor,
                    "currency": donation.currency.lower(),
                    "status": "paid",
                },
                event_id=_id("evt", donation.invoice_id, "paid"),
            )
            self.emit(
                "customer.subscription.updated",
                {"id": recurring.subscription_id, "object": "subscription", "status": "active"},
                event_id=_id("evt", recurring.subscription_id, "active"),
            )

    def _fail(self, donation: Donation, *, code: str, message: str) -> None:
        error = {"code": code, "decline_code": "generic_decline" if code == "card_declined" else "", "message": message}
        self.emit(
            "payment_intent.payment_failed",
            self._intent(donation, "requires_payment_method", error=error),
            event_id=_id("evt", donation.payment_intent_id, "failed", time.time_ns()),
        )
