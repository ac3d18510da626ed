"""The interface both payment gateways implement."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

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
