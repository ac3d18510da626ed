"""Stripe webhook deliveries as Stripe sends them: event bodies and the Stripe-Signature header.

Standard library only (it runs in the load generator's process). The body
has the shape of a ``payment_intent.succeeded`` event of API version
2024-06-20 (the version donations.gateways.stripe_gateway pins), with the
fields a real one carries, so the server parses and stores as much JSON as
it would in production (about 2.5 KB).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

API_VERSION = "2024-06-20"


def payment_intent_succeeded(event_id: str, *, created: int, number: int) -> dict[str, Any]:
    """A ``payment_intent.succeeded`` event for a PaymentIntent our database has never seen.

    ``number`` makes the PaymentIntent, charge and customer ids of this
    event its own. Ingest stores and acknowledges the event regardless; what
    it means for a gift is decided later, by the task that processes it.
    """
    reference = uuid.UUID(int=number)
    return _event(
        event_id,
        created=created,
        intent_created=created - 4,
        n16=f"{number:016d}",
        n14=f"{number:014d}",
        reference=str(reference),
        secret=reference.hex[:24],
    )


def _event(
    event_id: str, *, created: int | str, intent_created: int | str, n16: str, n14: str, reference: str, secret: str
) -> dict[str, Any]:
    intent = f"pi_bench{n16}"
    return {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {
            "object": {
                "id": intent,
                "object": "payment_intent",
                "amount": 5000,
                "amount_capturable": 0,
                "amount_details": {"tip": {}},
                "amount_received": 5000,
                "application": None,
                "application_fee_amount": None,
                "automatic_payment_methods": None,
                "canceled_at": None,
                "cancellation_reason": None,
                "capture_method": "automatic",
                "client_secret": f"{intent}_secret_{secret}",
                "confirmation_method": "automatic",
                "created": intent_created,
                "currency": "usd",
                "customer": f"cus_bench{n14}",
                "description": None,
                "invoice": None,
                "last_payment_error": None,
                "latest_charge": f"ch_bench{n16}",
                "livemode": False,
                "metadata": {"donation": reference},
                "next_action": None,
                "on_behalf_of": None,
                "payment_method": f"pm_bench{n16}",
                "payment_method_configuration_details": None,
                "payment_method_options": {
                    "card": {
                        "installments": None,
                        "mandate_options": None,
                        "network": None,
                        "request_three_d_secure": "automatic",
                    }
                },
                "payment_method_types": ["card"],
                "processing": None,
                "receipt_email": None,
                "review": None,
                "setup_future_usage": None,
                "shipping": None,
                "source": None,
                "statement_descriptor": None,
                "statement_descriptor_suffix": None,
                "status": "succeeded",
                "transfer_data": None,
                "transfer_group": None,
            }
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": f"req_bench{n14}", "idempotency_key": f"payment-{reference}"},
        "type": "payment_intent.succeeded",
    }


def encode(event: dict[str, Any]) -> bytes:
    """The body as Stripe sends it: JSON indented by two spaces (the signature covers these exact bytes)."""
    return json.dumps(event, indent=2).encode()


def signature_header(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """``t=<unix time>,v1=<hex HMAC-SHA256 of "t.body" with the endpoint's signing secret>``."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class EventBodies:
    """Encoded ``payment_intent.succeeded`` bodies, made by filling one encoded template.

    Byte for byte what ``encode(payment_intent_succeeded(...))`` gives, for a
    few microseconds instead of a JSON encoding per event: the load generator
    shares the machine with the server, so its work per event is kept small.
    """

    def __init__(self) -> None:
        marks = {name: f"@@{name}@@" for name in ("ID", "CREATED", "INTENT_CREATED", "N16", "N14", "REF", "SECRET")}
        event = _event(
            marks["ID"],
            created=marks["CREATED"],
            intent_created=marks["INTENT_CREATED"],
            n16=marks["N16"],
            n14=marks["N14"],
            reference=marks["REF"],
            secret=marks["SECRET"],
        )
        template = encode(event)
        # The two times are numbers in JSON: their marks lose the quotes.
        for name in ("CREATED", "INTENT_CREATED"):
            template = template.replace(f'"{marks[name]}"'.encode(), marks[name].encode())
        self.template = template

    def body(self, event_id: str, *, created: int, number: int) -> bytes:
        reference = uuid.UUID(int=number)
        return (
            self.template.replace(b"@@ID@@", event_id.encode())
            .replace(b"@@INTENT_CREATED@@", str(created - 4).encode())
            .replace(b"@@CREATED@@", str(created).encode())
            .replace(b"@@N16@@", f"{number:016d}".encode())
            .replace(b"@@N14@@", f"{number:014d}".encode())
            .replace(b"@@REF@@", str(reference).encode())
            .replace(b"@@SECRET@@", reference.hex[:24].encode())
        )
