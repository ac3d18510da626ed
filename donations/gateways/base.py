"""The interface both payment gateways implement."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

if TYPE_CHECKING:
    from donations.models import Donation, RecurringGift
    from supporters.models import Supporter


class GatewayError(Exception):
    """The gateway refused or failed; ``message`` is safe to show to staff."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class PaymentSetup:
    """What the payment step needs: the gateway's references and the secret for the browser."""

    payment_intent_id: str
    client_secret: str
    customer_id: str = ""
    invoice_id: str = ""
    subscription_id: str = ""
    price_id: str = ""


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    # The gift's refunded total at the gateway after this refund.
    total_refunded_minor: int


@dataclass(frozen=True)
class SubscriptionChange:
    """What the gateway reports after a monthly gift was changed."""

    status: str
    next_charge_on: date | None = None
    price_id: str = ""


@dataclass(frozen=True)
class CardSetup:
    """A card being saved for later payments (a SetupIntent): its id and the secret for the browser."""

    setup_id: str
    client_secret: str


@dataclass(frozen=True)
class CardDetails:
    """A saved card as the gateway describes it (never the number)."""

    payment_method_id: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


def charge_date_on_day(*, day: int, scheduled: date | None, today: date) -> date:
    """The next charge on ``day`` of the month: in the month already scheduled, or the next month that is ahead."""
    base = scheduled or (today + relativedelta(months=1))
    candidate = base.replace(day=day)
    while candidate <= today:
        candidate += relativedelta(months=1)
    return candidate


class Gateway(ABC):
    name: str
    # True when create_payment computes its answer without calling anyone (the same key always
    # gives the same payment), so a new gift's payment can be made before its row is written and
    # stored with it in one INSERT. A gateway that calls out is called after the row exists.
    creates_payments_locally: bool = False

    @property
    def test_mode(self) -> bool:
        return False

    @abstractmethod
    def customer_for(self, supporter: Supporter) -> str:
        """The gateway's customer id for this supporter, created once."""

    @abstractmethod
    def create_payment(self, donation: Donation, *, customer_id: str, idempotency_key: str) -> PaymentSetup:
        """A one-time payment (a PaymentIntent) for ``donation``."""

    @abstractmethod
    def create_subscription(self, recurring: RecurringGift, *, customer_id: str, idempotency_key: str) -> PaymentSetup:
        """A monthly subscription; the setup describes its first invoice's payment."""

    @abstractmethod
    def refund(self, donation: Donation, *, amount_minor: int, reason: str, idempotency_key: str) -> RefundResult:
        """Refund part or all of a paid gift."""

    # -- monthly gifts, changed by the donor in the portal --------------------------

    @abstractmethod
    def subscription_change_amount(
        self, recurring: RecurringGift, *, amount_minor: int, idempotency_key: str
    ) -> SubscriptionChange:
        """Charge ``amount_minor`` from the next month on (no proration)."""

    @abstractmethod
    def subscription_change_day(
        self, recurring: RecurringGift, *, day: int, idempotency_key: str
    ) -> SubscriptionChange:
        """Move the monthly charge to ``day`` of the month (1-28), from the next charge on."""

    @abstractmethod
    def subscription_pause(
        self, recurring: RecurringGift, *, resumes_on: date, idempotency_key: str
    ) -> SubscriptionChange:
        """Collect nothing until ``resumes_on``; the gift resumes by itself then."""

    @abstractmethod
    def subscription_resume(self, recurring: RecurringGift, *, idempotency_key: str) -> SubscriptionChange:
        """Collect again from the next scheduled charge."""

    @abstractmethod
    def subscription_cancel(self, recurring: RecurringGift, *, idempotency_key: str) -> SubscriptionChange:
        """End the monthly gift now; nothing more is charged."""

    # -- the card that pays monthly gifts ----------------------------------------------

    @abstractmethod
    def card_setup_start(self, supporter: Supporter, *, customer_id: str, idempotency_key: str) -> CardSetup:
        """Start saving a new card for this customer (a SetupIntent)."""

    @abstractmethod
    def card_setup_finish(self, setup_id: str, *, customer_id: str) -> CardDetails:
        """The card a finished setup saved; GatewayError unless it succeeded for this customer."""

    @abstractmethod
    def subscriptions_card_set(
        self, recurrings: list[RecurringGift], *, customer_id: str, payment_method_id: str, idempotency_key: str
    ) -> None:
        """Make this card pay the customer's future invoices and each of these monthly gifts."""
