"""Every write to gifts goes through these services (see shared/DESIGN.md)."""

from donations.services.events import UnknownReference, donation_event_record, event_apply
from donations.services.notifications import donation_confirmation_send, tribute_notice_send
from donations.services.staff import donation_record_offline, donation_refund
from donations.services.start import (
    Consented,
    GiftRequest,
    donation_make_monthly,
    donation_start,
    fee_for,
    payment_prepare,
)
from donations.services.webhooks import webhook_event_apply, webhook_event_store, webhook_events_drain

__all__ = [
    "Consented",
    "GiftRequest",
    "UnknownReference",
    "donation_confirmation_send",
    "donation_event_record",
    "donation_make_monthly",
    "donation_record_offline",
    "donation_refund",
    "donation_start",
    "event_apply",
    "fee_for",
    "payment_prepare",
    "tribute_notice_send",
    "webhook_event_apply",
    "webhook_event_store",
    "webhook_events_drain",
]
