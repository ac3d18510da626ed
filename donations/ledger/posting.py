"""What each gift event posts to the books. Called in the same database transaction as the event.

| event                 | debit                         | credit                          |
|-----------------------|-------------------------------|---------------------------------|
| payment succeeded     | processor clearing            | donation income (designation)   |
| processor fee known   | processing fees               | processor clearing              |
| refunded (each)       | refunds (contra-income)       | processor clearing              |
| dispute opened        | disputed funds (held)         | processor clearing              |
| dispute won           | processor clearing            | disputed funds                  |
| dispute lost          | chargebacks (contra-income)   | disputed funds                  |
| payout paid           | bank                          | processor clearing              |
| offline gift          | bank, or cash on hand         | donation income (designation)   |
| expense approved      | expense (category)            | bank                            |

Every posting is keyed by its source (the event's key, or the gift's
reference for its fee), so applying an event again posts nothing more.

Gifts imported as history, with no events of their own (the demo's year of
giving), get the same postings from ``imported_gift_postings``, posted in bulk
by ``ledger_post_many``; their refund is keyed ``refund:<gift reference>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from donations.ledger.models import Account, LedgerTransaction
from donations.ledger.services import LedgerError, Line, Posting, account_get, ledger_post
from donations.receipts.services import receipt_event_apply

ASSET, INCOME, EXPENSE = Account.Type.ASSET, Account.Type.INCOME, Account.Type.EXPENSE
Kind = LedgerTransaction.Kind


def designation_of(item) -> str:
    """The designation key of a gift or an expense: ``fund:<id>``, ``page:<id>`` or ``general``."""
    if item.fund_id:
        return f"fund:{item.fund_id}"
    if item.designation_page_id:
        return f"page:{item.designation_page_id}"
    return "general"


def clearing(gateway: str, currency: str) -> Account:
    return account_get(
        code=f"asset:clearing:{gateway}:{currency}",
        name=f"Processor clearing ({gateway}, {currency})",
        type=ASSET,
        currency=currency,
    )


def bank(currency: str) -> Account:
    return account_get(code=f"asset:bank:{currency}", name=f"Bank ({currency})", type=ASSET, currency=currency)


def cash(currency: str) -> Account:
    return account_get(code=f"asset:cash:{currency}", name=f"Cash on hand ({currency})", type=ASSET, currency=currency)


def disputed(gateway: str, currency: str) -> Account:
    return account_get(
        code=f"asset:disputed:{gateway}:{currency}",
        name=f"Disputed funds held by the processor ({gateway}, {currency})",
        type=ASSET,
        currency=currency,
    )


def income_for(item) -> Account:
    """Donation income of the gift's designation: restricted unless it is the general fund."""
    key = designation_of(item)
    if item.fund_id:
        return fund_income(item.fund)
    if item.designation_page_id:
        return account_get(
            code=f"income:donations:{key}",
            name=f"Donations: {item.designation_page.title}",
            type=INCOME,
            restricted=True,
            designation=key,
        )
    return account_get(
        code="income:donations:general", name="Donations: where most needed", type=INCOME, designation="general"
    )


def fund_income(fund) -> Account:
    """Donation income of a fund: restricted as the fund is."""
    return account_get(
        code=f"income:donations:fund:{fund.pk}",
        name=f"Donations: {fund.name}",
        type=INCOME,
        restricted=fund.restricted,
        designation=f"fund:{fund.pk}",
    )


def refunds() -> Account:
    return account_get(code="income:refunds", name="Refunds", type=INCOME, contra=True)


def chargebacks() -> Account:
    return account_get(code="income:chargebacks", name="Chargebacks (disputes lost)", type=INCOME, contra=True)


def fees(gateway: str) -> Account:
    return account_get(code=f"expense:fees:{gateway}", name=f"Processing fees ({gateway})", type=EXPENSE)


def expense_account(category: str, label: str) -> Account:
    return account_get(code=f"expense:{category}", name=f"Expenses: {label}", type=EXPENSE)


def seed_chart(*, using: str = "default") -> None:
    """The chart every organisation starts with; accounts for new funds and campaigns appear with their first gift.

    Processor clearing and disputed funds per gateway and currency, bank and cash per currency, donation
    income per fund (restricted as the fund is) and for the general fund, processing fees, refunds and
    chargebacks as contra-income, expenses by category, and net assets.
    """
    from cms.currencies import SUPPORTED_CURRENCIES
    from donations.choices import GatewayName
    from donations.ledger.models import Expense
    from donations.models import Fund

    # The last account made below: once it exists the chart is there (this runs after every migrate and flush).
    if using != "default" or Account.objects.filter(code="equity:net-assets:restricted").exists():
        return
    processors = [GatewayName.SANDBOX, GatewayName.STRIPE]
    for currency in SUPPORTED_CURRENCIES:
        bank(currency)
        cash(currency)
        for gateway in processors:
            clearing(gateway, currency)
            disputed(gateway, currency)
    for gateway in processors:
        fees(gateway)
    refunds()
    chargebacks()
    account_get(
        code="income:donations:general", name="Donations: where most needed", type=INCOME, designation="general"
    )
    for fund in Fund.objects.all():
        fund_income(fund)
    for value, label in Expense.Category.choices:
        expense_account(value, str(label))
    account_get(code="equity:net-assets:unrestricted", name="Net assets (unrestricted)", type=Account.Type.EQUITY)
    account_get(
        code="equity:net-assets:restricted", name="Net assets (restricted)", type=Account.Type.EQUITY, restricted=True
    )


def _pair(debit: Account, credit: Account, amount: int, currency: str, designation: str) -> list[Line]:
    return [Line(debit, amount, currency, designation), Line(credit, -amount, currency, designation)]


def post_donation_event(event) -> LedgerTransaction | None:
    """Post what a newly recorded DonationEvent moves, if anything; returns the ledger transaction."""
    from donations.models import DonationEvent

    kinds = DonationEvent.Kind
    donation = event.donation
    if event.kind == kinds.PAYOUT_PAID:
        if not event.amount_minor or not event.currency:
            return None
        gateway = (event.detail or {}).get("gateway", "stripe")
        lines = _pair(bank(event.currency), clearing(gateway, event.currency), event.amount_minor, event.currency, "")
        txn, _new = ledger_post(
            kind=Kind.PAYOUT, source_key=f"event:{event.key}", occurred_at=event.occurred_at, lines=lines
        )
        return txn
    if donation is None:
        return None
    currency, designation = donation.currency, designation_of(donation)
    common = {"occurred_at": event.occurred_at, "donation": donation, "donor": donation.supporter}
    if event.kind == kinds.SUCCEEDED:
        amount = donation.amount_minor
        lines = _pair(clearing(donation.gateway, currency), income_for(donation), amount, currency, designation)
        txn, _new = ledger_post(kind=Kind.GIFT, source_key=f"gift:{donation.reference}", lines=lines, **common)
        donation_fee_post(donation)
        _receipt(donation, txn, event)
        return txn
    if event.kind == kinds.OFFLINE_RECORDED:
        account = cash(currency) if donation.offline_method == donation.OfflineMethod.CASH else bank(currency)
        lines = _pair(account, income_for(donation), donation.amount_minor, currency, designation)
        txn, _new = ledger_post(
            kind=Kind.OFFLINE_GIFT,
            source_key=f"gift:{donation.reference}",
            lines=lines,
            posted_by=event.actor,
            **common,
        )
        _receipt(donation, txn, event)
        return txn
    rules = {
        kinds.REFUNDED: (Kind.REFUND, lambda: refunds(), lambda: clearing(donation.gateway, currency)),
        kinds.DISPUTE_OPENED: (
            Kind.DISPUTE_OPENED,
            lambda: disputed(donation.gateway, currency),
            lambda: clearing(donation.gateway, currency),
        ),
        kinds.DISPUTE_WON: (
            Kind.DISPUTE_WON,
            lambda: clearing(donation.gateway, currency),
            lambda: disputed(donation.gateway, currency),
        ),
        kinds.DISPUTE_LOST: (Kind.DISPUTE_LOST, lambda: chargebacks(), lambda: disputed(donation.gateway, currency)),
    }
    if event.kind not in rules or not event.amount_minor:
        return None
    kind, debit, credit = rules[event.kind]
    lines = _pair(debit(), credit(), event.amount_minor, currency, designation)
    txn, _new = ledger_post(kind=kind, source_key=f"event:{event.key}", lines=lines, **common)
    receipt_event_apply(event)  # a refund or a lost dispute amends or voids the gift's receipt
    return txn


def _receipt(donation, txn: LedgerTransaction, event) -> None:
    """Number the gift's receipt in this same transaction; it is made and sent after commit."""
    from donations.models import DonationEvent
    from donations.receipts.numbering import receipt_allocate
    from donations.receipts.services import receipt_event_apply

    income_seq = txn.entries.filter(amount_minor__lt=0).order_by("seq").values_list("seq", flat=True).first()
    received_at = donation.succeeded_at or event.occurred_at
    _receipt_row, new = receipt_allocate(donation=donation, received_at=received_at, ledger_seq=income_seq)
    if new:
        # A refund or a lost dispute delivered before the payment itself amends the new receipt now.
        kinds = [DonationEvent.Kind.REFUNDED, DonationEvent.Kind.DISPUTE_LOST]
        for earlier in donation.events.filter(kind__in=kinds).order_by("occurred_at", "id"):
            receipt_event_apply(earlier)


def donation_fee_post(donation) -> LedgerTransaction | None:
    """The processor's fee for a paid gift, once it is known (it may arrive before or after the payment)."""
    if not donation.processor_fee_minor or donation.succeeded_at is None or donation.offline_method:
        return None
    currency = donation.currency
    # The fee carries the gift's designation, so what each designation cost is a sum of its entries.
    lines = _pair(
        fees(donation.gateway),
        clearing(donation.gateway, currency),
        donation.processor_fee_minor,
        currency,
        designation_of(donation),
    )
    txn, _new = ledger_post(
        kind=Kind.FEE,
        source_key=f"fee:{donation.reference}",
        occurred_at=donation.succeeded_at,
        lines=lines,
        donation=donation,
        donor=donation.supporter,
    )
    return txn


def imported_gift_postings(
    donations: Iterable, *, refunded_at: Callable[[object], datetime] | None = None
) -> list[Posting]:
    """What the live path posts for each paid gift, for gifts imported as history without their events.

    The same accounts, amounts, designations and source keys as a payment (or an
    offline gift) succeeding, its processor fee, and what was refunded of it
    (``amount_refunded_minor``, as one refund at ``refunded_at(gift)``, by default
    the moment it was paid). Gifts not paid post nothing; a disputed gift is
    refused (disputes post from their events). For ``ledger_post_many``; the
    accounts are looked up once per gateway, currency and designation.
    """
    accounts: dict[tuple, Account] = {}
    incomes: dict[str, Account] = {}

    def once(make: Callable[..., Account], *args: str) -> Account:
        if (make, *args) not in accounts:
            accounts[(make, *args)] = make(*args)
        return accounts[(make, *args)]

    out: list[Posting] = []
    for gift in donations:
        if gift.succeeded_at is None:
            continue
        if gift.dispute_status:
            raise LedgerError(f"gift {gift.reference} was disputed: import it through its events")
        currency, designation, gateway = gift.currency, designation_of(gift), gift.gateway
        if designation not in incomes:
            incomes[designation] = income_for(gift)
        income = incomes[designation]
        common = {"occurred_at": gift.succeeded_at, "donation_id": gift.pk, "donor_id": gift.supporter_id}
        if gift.offline_method:
            account = once(cash if gift.offline_method == gift.OfflineMethod.CASH else bank, currency)
            lines = _pair(account, income, gift.amount_minor, currency, designation)
            out.append(
                Posting(
                    kind=Kind.OFFLINE_GIFT,
                    source_key=f"gift:{gift.reference}",
                    lines=lines,
                    posted_by_id=gift.recorded_by_id,
                    **common,
                )
            )
        else:
            held = once(clearing, gateway, currency)
            lines = _pair(held, income, gift.amount_minor, currency, designation)
            out.append(Posting(kind=Kind.GIFT, source_key=f"gift:{gift.reference}", lines=lines, **common))
            if gift.processor_fee_minor:
                fee = once(fees, gateway)
                lines = _pair(fee, held, gift.processor_fee_minor, currency, designation)
                out.append(Posting(kind=Kind.FEE, source_key=f"fee:{gift.reference}", lines=lines, **common))
        if gift.amount_refunded_minor:
            back, held = once(refunds), once(clearing, gateway, currency)
            lines = _pair(back, held, gift.amount_refunded_minor, currency, designation)
            moment = refunded_at(gift) if refunded_at else gift.succeeded_at
            out.append(
                Posting(
                    kind=Kind.REFUND,
                    source_key=f"refund:{gift.reference}",
                    lines=lines,
                    **{**common, "occurred_at": moment},
                )
            )
    return out
