"""Payment gateways: Stripe when keys are configured, the sandbox otherwise."""

from __future__ import annotations

from django.conf import settings

from donations.gateways.base import (
    CardDetails,
    CardSetup,
    Gateway,
    GatewayError,
    PaymentSetup,
    RefundResult,
    SubscriptionChange,
)


def default_gateway_name() -> str:
    return "stripe" if settings.STRIPE_SECRET_KEY else "sandbox"


def gateway_for(name: str) -> Gateway:
    """The gateway a gift was made through (new gifts use ``default_gateway_name()``)."""
    if name == "stripe":
        from donations.gateways.stripe_gateway import StripeGateway

        return StripeGateway()
    if name == "sandbox":
        from donations.gateways.sandbox import SandboxGateway

        return SandboxGateway()
    raise GatewayError(f"No payment gateway called {name!r}.")


__all__ = [
    "CardDetails",
    "CardSetup",
    "Gateway",
    "GatewayError",
    "PaymentSetup",
    "RefundResult",
    "SubscriptionChange",
    "default_gateway_name",
    "gateway_for",
]
