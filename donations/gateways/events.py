"""Gateway events, normalised: what every consumer downstream reads.

Both gateways speak Stripe's event format: Stripe because it is Stripe, and
the sandbox because it writes Stripe-shaped events on purpose, so one
normaliser and one pipeline serve both and the embedded default behaves like
production.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class Kind(enum.StrEnum):
    PAYMENT_REQUIRES_ACTION = "payment_requires_action"
    PAYMENT_PROCESSING = "payment_processing"
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    CHARGE_DETAILS = "charge_details"
    REFUND_TOTAL = "refund_total"
    DISPUTE_OPENED = "dispute_opened"
    DISPUTE_CLOSED = "dispute_closed"
    INVOICE_PAID = "invoice_paid"
    INVOICE_FAILED = "invoice_failed"
    SUBSCRIPTION_STATUS = "subscription_status"
    SUBSCRIPTION_DELETED = "subscription_deleted"
    PAYOUT_PAID = "payout_paid"


@dataclass(frozen=True)
class GatewayEvent:
    """One fact from a gateway. ``key`` is unique per fact, so applying it twice changes nothing."""

    key: str
    kind: Kind
    gateway: str
    occurred_at: datetime
    payment_intent: str | None = None
    charge: str | None = None
    invoice: str | None = None
    subscription: str | None = None
    dispute: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    fee_minor: int | None = None
    status: str = ""
    failure_code: str = ""
    failure_message: str = ""
    card_brand: str = ""
    card_last4: str = ""
    payment_method_type: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


HANDLED_TYPES = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.processing",
        "payment_intent.requires_action",
        "charge.succeeded",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.closed",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "payout.paid",
    }
)


def _ref(value: Any) -> str | None:
    """An id, whether the field holds the id or the expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def _currency(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) else None


def normalize(payload: dict[str, Any], *, gateway: str) -> list[GatewayEvent]:
    """The facts in one Stripe-format event. Types we do not handle give none."""
    event_type = payload.get("type", "")
    if event_type not in HANDLED_TYPES:
        return []
    obj = payload["data"]["object"]
    base = {
        "key": f"{gateway}:{payload['id']}",
        "gateway": gateway,
        "occurred_at": datetime.fromtimestamp(int(payload["created"]), tz=UTC),
    }
    if event_type.startswith("payment_intent."):
        error = obj.get("last_payment_error") or {}
        kind = {
            "payment_intent.succeeded": Kind.PAYMENT_SUCCEEDED,
            "payment_intent.payment_failed": Kind.PAYMENT_FAILED,
            "payment_intent.processing": Kind.PAYMENT_PROCESSING,
            "payment_intent.requires_action": Kind.PAYMENT_REQUIRES_ACTION,
        }[event_type]
        return [
            GatewayEvent(
                **base,
                kind=kind,
                payment_intent=obj["id"],
                charge=_ref(obj.get("latest_charge")),
                invoice=_ref(obj.get("invoice")),
                amount_minor=obj.get("amount_received") or obj.get("amount"),
                currency=_currency(obj.get("currency")),
                failure_code=(error.get("decline_code") or error.get("code") or "")[:64],
                failure_message=(error.get("message") or "")[:255],
            )
        ]
    if event_type == "charge.succeeded":
        card = (obj.get("payment_method_details") or {}).get("card") or {}
        balance = obj.get("balance_transaction")
        return [
            GatewayEvent(
                **base,
                kind=Kind.CHARGE_DETAILS,
                payment_intent=_ref(obj.get("payment_intent")),
                charge=obj["id"],
                invoice=_ref(obj.get("invoice")),
                fee_minor=balance.get("fee") if isinstance(balance, dict) else None,
                card_brand=card.get("brand") or "",
                card_last4=card.get("last4") or "",
                payment_method_type=(obj.get("payment_method_details") or {}).get("type") or "",
                detail={
                    "payment_method": _ref(obj.get("payment_method")) or "",
                    "exp_month": card.get("exp_month"),
                    "exp_year": card.get("exp_year"),
                },
            )
        ]
    if event_type == "charge.refunded":
        return [
            GatewayEvent(
                **base,
                kind=Kind.REFUND_TOTAL,
                payment_intent=_ref(obj.get("payment_intent")),
                charge=obj["id"],
                amount_minor=int(obj.get("amount_refunded") or 0),
                currency=_currency(obj.get("currency")),
            )
        ]
    if event_type.startswith("charge.dispute."):
        return [
            GatewayEvent(
                **base,
                kind=Kind.DISPUTE_OPENED if event_type == "charge.dispute.created" else Kind.DISPUTE_CLOSED,
                payment_intent=_ref(obj.get("payment_intent")),
                charge=_ref(obj.get("charge")),
                dispute=obj["id"],
                amount_minor=obj.get("amount"),
                currency=_currency(obj.get("currency")),
                status=obj.get("status") or "",
                detail={"reason": obj.get("reason") or ""},
            )
        ]
    if event_type.startswith("invoice."):
        return [
            GatewayEvent(
                **base,
                kind=Kind.INVOICE_FAILED if event_type == "invoice.payment_failed" else Kind.INVOICE_PAID,
                invoice=obj["id"],
                subscription=_ref(obj.get("subscription")),
                payment_intent=_ref(obj.get("payment_intent")),
                charge=_ref(obj.get("charge")),
                amount_minor=obj.get("amount_due")
                if event_type == "invoice.payment_failed"
                else obj.get("amount_paid"),
                currency=_currency(obj.get("currency")),
                detail={
                    "attempt_count": obj.get("attempt_count"),
                    # None after the gateway's final try: no retry is scheduled.
                    "next_payment_attempt": obj.get("next_payment_attempt"),
                    "final": "next_payment_attempt" in obj and obj.get("next_payment_attempt") is None,
                }
                if event_type == "invoice.payment_failed"
                else {},
            )
        ]
    if event_type.startswith("customer.subscription."):
        status = obj.get("status") or ""
        if status == "active" and obj.get("pause_collection"):
            status = "paused"  # Stripe keeps a paused subscription "active", with pause_collection set
        return [
            GatewayEvent(
                **base,
                kind=Kind.SUBSCRIPTION_DELETED
                if event_type == "customer.subscription.deleted"
                else Kind.SUBSCRIPTION_STATUS,
                subscription=obj["id"],
                status=status,
                detail={"resumes_at": (obj.get("pause_collection") or {}).get("resumes_at")},
            )
        ]
    # payout.paid
    return [
        GatewayEvent(
            **base,
            kind=Kind.PAYOUT_PAID,
            amount_minor=obj.get("amount"),
            currency=_currency(obj.get("currency")),
            detail={"payout": obj.get("id"), "arrival_date": obj.get("arrival_date")},
        )
    ]
