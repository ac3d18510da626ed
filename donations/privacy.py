"""What the donations app holds about a supporter, for their data export and their erasure.

Registered as a data source of ``supporters.privacy`` from ``DonationsConfig.ready()``.

Erasure keeps every amount, date, status, receipt number, gateway payment
reference and ledger row (the books, the receipts' existence and tax records
the law requires), and removes who gave: the donor's address, card brand and
last four digits, messages and tribute names, demographic answers, the
gateway's customer reference, the receipt and statement PDFs (which print the
name; they are rebuilt without it if ever needed), personal fields in stored
gateway webhook payloads, and the ledger salt. Without the salt the donor
commitment in each ledger leaf names nobody, while the leaf, the chain and
every published proof stay exactly as they were.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from donations.ledger.models import DonorSalt
from donations.models import (
    Donation,
    DonationEvent,
    DonorSurvey,
    GatewayCustomer,
    PaymentCard,
    RecurringGift,
    WebhookEvent,
)
from donations.receipts.models import AnnualStatement, Receipt
from supporters.models import Consent, Supporter
from supporters.privacy import DataSource, ErasureContext, data_source_register, rows, scrub_json, scrub_text

RUNNING = (RecurringGift.Status.ACTIVE, RecurringGift.Status.PAST_DUE, RecurringGift.Status.PAUSED)

DONATION_FIELDS = [
    "reference", "created_at", "amount_minor", "currency", "fee_covered_minor", "frequency", "gateway", "status",
    "succeeded_at", "failed_at", "amount_refunded_minor", "dispute_status", "designation_label",
    "payment_method_type", "card_brand", "card_last4", "anonymous", "message", "tribute", "tribute_name",
    "tribute_notify_name", "tribute_notify_email", "address_line1", "address_line2", "address_city",
    "address_postcode", "address_country.code", "language", "surface", "utm_source", "utm_medium", "utm_campaign",
    "offline_method", "offline_reference", "received_on", "recurring_gift.reference",
]  # fmt: skip
# Cleared on erasure: who gave, how to reach them, and what they wrote.
PERSONAL_DONATION_FIELDS = {
    "message": "", "tribute_name": "", "tribute_notify_name": "", "tribute_notify_email": "",
    "address_line1": "", "address_line2": "", "address_city": "", "address_postcode": "", "address_country": "",
    "card_brand": "", "card_last4": "", "client_secret": "", "customer_id": "", "failure_message": "",
    "velocity_ip_key": "", "utm_term": "", "utm_content": "",
}  # fmt: skip


def _export(supporter: Supporter) -> dict[str, list[dict[str, Any]]]:
    donations = (
        Donation.objects.filter(supporter=supporter)
        .select_related("fund", "designation_page", "recurring_gift")
        .order_by("created_at", "pk")
    )
    return {
        "gifts": rows(donations, DONATION_FIELDS),
        "gift_timeline": rows(
            DonationEvent.objects.filter(Q(donation__supporter=supporter) | Q(recurring_gift__supporter=supporter))
            .select_related("donation", "recurring_gift")
            .order_by("occurred_at", "pk"),
            ["donation.reference", "recurring_gift.reference", "kind", "amount_minor", "currency", "occurred_at"],
        ),
        "monthly_gifts": rows(
            RecurringGift.objects.filter(supporter=supporter)
            .select_related("fund", "designation_page")
            .order_by("created_at"),
            [
                "reference",
                "created_at",
                "amount_minor",
                "currency",
                "fee_covered_minor",
                "gateway",
                "status",
                "designation_label",
                "canceled_at",
                "next_charge_on",
                "language",
            ],
        ),
        "receipts": rows(
            Receipt.objects.filter(donation__supporter=supporter).select_related("donation").order_by("issued_at"),
            [
                "number",
                "donation.reference",
                "amount_minor",
                "currency",
                "received_at",
                "issued_at",
                "status",
                "verification_code",
                "language",
            ],
        ),
        "refund_requests": rows(
            [r for d in donations.prefetch_related("refund_requests") for r in d.refund_requests.all()],
            ["donation.reference", "amount_minor", "status", "created_at"],
        ),
        "annual_statements": rows(
            AnnualStatement.objects.filter(supporter=supporter).order_by("fiscal_year"),
            ["fiscal_year", "totals", "gift_count", "generated_at", "emailed_at"],
        ),
        "survey_answers": rows(
            DonorSurvey.objects.filter(supporter=supporter).order_by("created_at"),
            ["age_band", "gender", "country.code", "city", "created_at"],
        ),
        "saved_cards": rows(
            PaymentCard.objects.filter(supporter=supporter).order_by("created_at"),
            ["gateway", "brand", "last4", "exp_month", "exp_year", "created_at"],
        ),
        "payment_processor_customers": rows(
            GatewayCustomer.objects.filter(supporter=supporter).order_by("gateway"), ["gateway", "customer_id"]
        ),
    }


def _files(supporter: Supporter) -> dict[str, bytes]:
    """The receipt and statement PDFs already made for them (none is rendered just for the export)."""
    found: dict[str, bytes] = {}
    documents = [
        *((f"receipt-{r.number}.pdf", r.pdf) for r in Receipt.objects.filter(donation__supporter=supporter)),
        *((f"statement-{s.fiscal_year}.pdf", s.pdf) for s in AnnualStatement.objects.filter(supporter=supporter)),
    ]
    for name, stored in documents:
        if stored and stored.storage.exists(stored.name):
            with stored.open("rb") as handle:
                found[name] = handle.read()
    return found


def _before_erase(supporter: Supporter, request: Any) -> dict[str, int]:
    """Cancel every monthly gift still running, through its gateway, before the person's data goes.

    The same portal service a donor's own cancel uses (so the gateway stops charging and the donor is
    told by email while we still have the address); one request id per erasure and gift, so a retried
    task cancels nothing twice.
    """
    from donations.services.recurring import portal_event_key, recurring_cancel, recurring_change_notify

    canceled = 0
    for gift in RecurringGift.objects.filter(supporter=supporter, status__in=RUNNING):
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"privacy-erasure:{request.pk}:{gift.pk}")
        canceled += recurring_cancel(recurring=gift, request_id=key, reason="erasure")
        event = DonationEvent.objects.filter(key=portal_event_key(key)).first()
        if event is not None:
            # Now, not from the queue: once the erasure runs there is no address to tell (the queued
            # task then finds it sent).
            recurring_change_notify(event_id=event.pk)
    return {"monthly_gifts_canceled": canceled}


def _webhook_events(references: set[str]) -> Any:
    references.discard("")
    if not references:
        return WebhookEvent.objects.none()
    refs = list(references)
    return WebhookEvent.objects.filter(
        Q(payload__data__object__id__in=refs)
        | Q(payload__data__object__payment_intent__in=refs)
        | Q(payload__data__object__customer__in=refs)
        | Q(payload__data__object__subscription__in=refs)
        | Q(payload__data__object__invoice__in=refs)
    )


def _erase(supporter: Supporter, context: ErasureContext) -> dict[str, int]:
    donations = Donation.objects.select_for_update().filter(supporter=supporter)
    recurring = RecurringGift.objects.select_for_update().filter(supporter=supporter)
    customers = GatewayCustomer.objects.filter(supporter=supporter)
    references: set[str] = set(customers.values_list("customer_id", flat=True))
    for values in donations.values_list("payment_intent_id", "invoice_id", "charge_id", "customer_id"):
        references.update(value for value in values if value)
    for values in recurring.values_list("subscription_id", "customer_id"):
        references.update(value for value in values if value)

    gifts = donations.exclude(**dict.fromkeys(PERSONAL_DONATION_FIELDS, "")).update(**PERSONAL_DONATION_FIELDS)
    monthly = recurring.exclude(customer_id="").update(customer_id="")

    payloads = 0
    for event in _webhook_events(references):
        cleaned = scrub_json(event.payload, context)
        if cleaned != event.payload:
            event.payload = cleaned
            event.save(update_fields=["payload"])
            payloads += 1
    timeline = 0
    for event in DonationEvent.objects.filter(
        Q(donation__supporter=supporter) | Q(recurring_gift__supporter=supporter)
    ).exclude(detail={}):
        cleaned = scrub_json(event.detail, context)
        if cleaned != event.detail:
            event.detail = cleaned
            event.save(update_fields=["detail"])
            timeline += 1

    pdfs = 0
    for document in [
        *Receipt.objects.select_for_update().filter(donation__supporter=supporter).exclude(pdf=""),
        *AnnualStatement.objects.select_for_update().filter(supporter=supporter).exclude(pdf=""),
    ]:
        document.pdf.storage.delete(document.pdf.name)
        document.pdf = ""
        document.save(update_fields=["pdf"])
        pdfs += 1
    # The saved cards' brand, last four and expiry (portal and dunning) go; the card-change timeline loses them.
    recurring.exclude(payment_card=None).update(payment_card=None)
    cards, _detail = PaymentCard.objects.filter(supporter=supporter).delete()
    card_changes = DonationEvent.objects.filter(
        recurring_gift__supporter=supporter, kind=DonationEvent.Kind.CARD_UPDATED
    )
    for event in card_changes:
        event.detail = {key: value for key, value in event.detail.items() if key not in ("card", "replaced")}
        event.save(update_fields=["detail"])
    surveys, _detail = DonorSurvey.objects.filter(supporter=supporter).delete()
    customer_rows, _detail = customers.delete()
    salts, _detail = DonorSalt.objects.filter(supporter=supporter).delete()
    notes = 0
    for gift in donations.exclude(offline_reference=""):
        cleaned = scrub_text(gift.offline_reference, context)
        if cleaned != gift.offline_reference:
            gift.offline_reference = cleaned
            gift.save(update_fields=["offline_reference"])
            notes += 1
    return {
        "gifts_pseudonymised": gifts,
        "monthly_gifts_pseudonymised": monthly,
        "gifts_kept": donations.count(),
        "receipts_kept": Receipt.objects.filter(donation__supporter=supporter).count(),
        "receipt_and_statement_pdfs_deleted": pdfs,
        "survey_answers_deleted": surveys,
        "saved_cards_deleted": cards,
        "processor_customers_deleted": customer_rows,
        "webhook_payloads_scrubbed": payloads,
        "gift_timeline_entries_scrubbed": timeline,
        "offline_references_scrubbed": notes,
        "ledger_salt_deleted": salts,
    }


def _consent_withdrawn(supporter: Supporter, topic: str) -> None:
    if topic == Consent.Topic.DEMOGRAPHICS:
        DonorSurvey.objects.filter(supporter=supporter).delete()


def register() -> None:
    data_source_register(
        DataSource(
            name="donations",
            label=_("Gifts, monthly gifts, receipts and statements"),
            export=_export,
            erase=_erase,
            before_erase=_before_erase,
            files=_files,
            consent_withdrawn=_consent_withdrawn,
            kept=(
                (
                    _("Each gift's amount, currency, date, status, designation and receipt number."),
                    _("Charity and tax law require us to keep accounting records and receipts for years."),
                ),
                (
                    _("The ledger entries of your gifts, with the salted code that stood for you."),
                    _(
                        "The ledger is append-only and publicly provable; we delete the salt, so the code "
                        "no longer points to anyone, and every published proof still checks out."
                    ),
                ),
                (
                    _("The payment processor's payment references, and evidence staff filed for offline gifts."),
                    _("We need them to reconcile our books with the processor and the bank."),
                ),
            ),
            order=50,
        )
    )
