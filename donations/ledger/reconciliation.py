"""The ledger against the processor: balances per currency and every difference, and sandbox payouts.

The processor's side is what its balance transactions told us, as kept on each
gift (amount, ``processor_fee_minor``, ``amount_refunded_minor``, disputes) and
the payouts it reported (``DonationEvent`` of kind ``payout_paid``). The
ledger's side is the postings. A consistent ledger shows no differences.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from donations.ledger.models import LedgerEntry, LedgerTransaction

ONLINE_GATEWAYS = ("sandbox", "stripe")


@dataclass(frozen=True)
class Difference:
    kind: str  # a short stable code, e.g. "gift_not_posted"
    label: str
    gateway: str
    currency: str
    reference: str
    processor_minor: int | None
    ledger_minor: int | None
    donation_id: int | None = None


@dataclass
class BalanceRow:
    gateway: str
    currency: str
    processor_minor: int = 0
    ledger_minor: int = 0

    @property
    def difference_minor(self) -> int:
        return self.ledger_minor - self.processor_minor


@dataclass
class Reconciliation:
    balances: list[BalanceRow] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences and not any(row.difference_minor for row in self.balances)


def processor_balances() -> dict[tuple[str, str], int]:
    """What each processor holds for us per currency, from its own facts: paid less fees, refunds,
    disputed amounts and payouts."""
    from donations.models import Donation, DonationEvent

    held: dict[tuple[str, str], int] = defaultdict(int)
    paid = Donation.objects.filter(gateway__in=ONLINE_GATEWAYS, succeeded_at__isnull=False).order_by()
    for gateway, currency, amount, fee, refunded in paid.values_list("gateway", "currency").annotate(
        amount=Sum("amount_minor"), fee=Sum("processor_fee_minor"), refunded=Sum("amount_refunded_minor")
    ):
        held[(gateway, currency)] += (amount or 0) - (fee or 0) - (refunded or 0)
    kinds = DonationEvent.Kind
    disputes = DonationEvent.objects.filter(
        donation__gateway__in=ONLINE_GATEWAYS, kind__in=[kinds.DISPUTE_OPENED, kinds.DISPUTE_WON]
    ).order_by()
    for gateway, currency, kind, total in disputes.values_list("donation__gateway", "currency", "kind").annotate(
        total=Sum("amount_minor")
    ):
        held[(gateway, currency)] += -(total or 0) if kind == kinds.DISPUTE_OPENED else (total or 0)
    for event in DonationEvent.objects.filter(kind=kinds.PAYOUT_PAID).only("amount_minor", "currency", "detail"):
        gateway = (event.detail or {}).get("gateway", "stripe")
        held[(gateway, event.currency)] -= event.amount_minor or 0
    return dict(held)


def ledger_clearing_balances() -> dict[tuple[str, str], int]:
    """The processor clearing accounts' balances in the ledger, per gateway and currency."""
    result: dict[tuple[str, str], int] = {}
    rows = LedgerEntry.objects.filter(account_code__startswith="asset:clearing:").order_by()
    for code, currency, total in rows.values_list("account_code", "currency").annotate(total=Sum("amount_minor")):
        gateway = code.split(":")[2]
        result[(gateway, currency)] = result.get((gateway, currency), 0) + (total or 0)
    return result


def _posted_by_donation(kind: str) -> dict[int, int]:
    """Debits of this kind of posting per gift (the amount each posting moved)."""
    rows = LedgerEntry.objects.filter(kind=kind, amount_minor__gt=0, transaction__donation__isnull=False).order_by()
    return dict(rows.values_list("transaction__donation_id").annotate(total=Sum("amount_minor")))


def reconciliation_report() -> Reconciliation:
    from donations.models import Donation, DonationEvent

    report = Reconciliation()
    processor = processor_balances()
    ledger = ledger_clearing_balances()
    for gateway, currency in sorted({*processor, *ledger}):
        report.balances.append(
            BalanceRow(gateway, currency, processor.get((gateway, currency), 0), ledger.get((gateway, currency), 0))
        )
    Kind = LedgerTransaction.Kind
    gift_kinds = [Kind.GIFT, Kind.OFFLINE_GIFT]
    posted_gifts = dict(
        LedgerTransaction.objects.filter(kind__in=gift_kinds, donation__isnull=False).values_list("donation_id", "id")
    )
    paid = Donation.objects.filter(succeeded_at__isnull=False).only(
        "id", "reference", "gateway", "currency", "amount_minor", "processor_fee_minor", "amount_refunded_minor"
    )
    fees = _posted_by_donation(Kind.FEE)
    refunds = _posted_by_donation(Kind.REFUND)
    out = report.differences
    for gift in paid.order_by("id").iterator(chunk_size=2000):
        ref = gift.short_reference
        if gift.pk not in posted_gifts:
            out.append(
                Difference(
                    "gift_not_posted",
                    _("Paid gift with no ledger posting"),
                    gift.gateway,
                    gift.currency,
                    ref,
                    gift.amount_minor,
                    None,
                    gift.pk,
                )
            )
        if gift.gateway in ONLINE_GATEWAYS and (gift.processor_fee_minor or 0) != fees.get(gift.pk, 0):
            out.append(
                Difference(
                    "fee_mismatch",
                    _("Processor fee differs from the fee posted"),
                    gift.gateway,
                    gift.currency,
                    ref,
                    gift.processor_fee_minor or 0,
                    fees.get(gift.pk, 0),
                    gift.pk,
                )
            )
        if gift.amount_refunded_minor != refunds.get(gift.pk, 0):
            out.append(
                Difference(
                    "refund_mismatch",
                    _("Amount refunded differs from the refunds posted"),
                    gift.gateway,
                    gift.currency,
                    ref,
                    gift.amount_refunded_minor,
                    refunds.get(gift.pk, 0),
                    gift.pk,
                )
            )
    unpaid_posted = LedgerTransaction.objects.filter(
        kind__in=gift_kinds, donation__isnull=False, donation__succeeded_at__isnull=True
    ).select_related("donation")
    for txn in unpaid_posted:
        gift = txn.donation
        amount = txn.entries.filter(amount_minor__gt=0).aggregate(total=Sum("amount_minor"))["total"]
        out.append(
            Difference(
                "posted_not_paid",
                _("Gift posted in the ledger but not paid at the processor (%(status)s)")
                % {"status": gift.get_status_display()},
                gift.gateway,
                gift.currency,
                gift.short_reference,
                None,
                amount,
                gift.pk,
            )
        )
    payouts = dict(
        LedgerEntry.objects.filter(kind=Kind.PAYOUT, amount_minor__gt=0)
        .order_by()
        .values_list("source_key")
        .annotate(total=Sum("amount_minor"))
    )
    seen = set()
    for event in DonationEvent.objects.filter(kind=DonationEvent.Kind.PAYOUT_PAID).order_by("occurred_at", "id"):
        source = f"event:{event.key}"
        seen.add(source)
        posted = payouts.get(source)
        if posted != (event.amount_minor or None):
            out.append(
                Difference(
                    "payout_mismatch",
                    _("Payout reported by the processor differs from the payout posted"),
                    (event.detail or {}).get("gateway", "stripe"),
                    event.currency,
                    str((event.detail or {}).get("payout") or event.key),
                    event.amount_minor,
                    posted,
                )
            )
    for source, total in payouts.items():
        if source not in seen:
            out.append(
                Difference(
                    "payout_unknown",
                    _("Payout posted with no payout reported by the processor"),
                    "",
                    LedgerEntry.objects.filter(source_key=source).values_list("currency", flat=True).first() or "",
                    source,
                    None,
                    total,
                )
            )
    return report


def sandbox_payouts_pay(*, on: date | None = None) -> list:
    """The sandbox's pretend processor pays what it holds in each currency to the bank, once a day.

    Recorded as a ``payout_paid`` event keyed by currency and date, which the ledger posts;
    running it again the same day pays nothing more.
    """
    from donations.models import DonationEvent
    from donations.services.events import donation_event_record

    on = on or timezone.localdate()
    moment = timezone.now() if on == timezone.localdate() else timezone.make_aware(datetime.combine(on, time(23, 0)))
    paid = []
    for (gateway, currency), amount in sorted(processor_balances().items()):
        if gateway != "sandbox" or amount <= 0:
            continue
        with transaction.atomic():
            event = donation_event_record(
                key=f"sandbox-payout:{currency}:{on.isoformat()}",
                kind=DonationEvent.Kind.PAYOUT_PAID,
                occurred_at=moment,
                amount_minor=amount,
                currency=currency,
                detail={"gateway": "sandbox", "payout": f"po_sbx_{currency}_{on:%Y%m%d}"},
            )
        if event is not None:
            paid.append(event)
    return paid
