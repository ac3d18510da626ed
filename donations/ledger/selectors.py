"""Reads of the books that the auditor workspace, the transparency page and the exports share."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet, Sum

from donations.ledger.models import Account, LedgerEntry, LedgerTransaction


@dataclass(frozen=True)
class Balance:
    account: Account
    currency: str
    debits: int  # minor units, positive
    credits: int  # minor units, positive

    @property
    def net(self) -> int:
        """Debits less credits: positive for a debit balance."""
        return self.debits - self.credits


def entries(
    *,
    account: str | None = None,
    designation: str | None = None,
    currency: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
) -> QuerySet[LedgerEntry]:
    """Ledger entries filtered as the ledger browser and the exports filter them (``until`` exclusive)."""
    rows = LedgerEntry.objects.all()
    if account:
        rows = rows.filter(account_code=account)
    if designation:
        rows = rows.filter(designation=designation)
    if currency:
        rows = rows.filter(currency=currency)
    if since:
        rows = rows.filter(occurred_at__gte=since)
    if until:
        rows = rows.filter(occurred_at__lt=until)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("seq")


def balances(*, until: datetime | None = None, currency: str | None = None) -> list[Balance]:
    """Debits and credits per account and currency: the trial balance's rows."""
    rows = entries(until=until, currency=currency).order_by()  # no ordering: it would split the groups
    debit = defaultdict(int)
    credit = defaultdict(int)
    for account_id, cur, amount in (
        rows.filter(amount_minor__gt=0).values_list("account_id", "currency").annotate(total=Sum("amount_minor"))
    ):
        debit[(account_id, cur)] = amount
    for account_id, cur, amount in (
        rows.filter(amount_minor__lt=0).values_list("account_id", "currency").annotate(total=Sum("amount_minor"))
    ):
        credit[(account_id, cur)] = -amount
    accounts = Account.objects.in_bulk({key[0] for key in [*debit, *credit]})
    keys = sorted({*debit, *credit}, key=lambda key: (accounts[key[0]].code, key[1]))
    return [Balance(accounts[a], cur, debit[(a, cur)], credit[(a, cur)]) for a, cur in keys]


def designation_totals(
    *, since: datetime | None = None, until: datetime | None = None, designation: str | None = None
) -> dict[str, dict[str, dict[str, int]]]:
    """Per designation and currency, what came in and went out, in minor units (all positive).

    ``{designation: {currency: {"raised", "refunds", "chargebacks", "fees", "spent"}}}``. Raised is
    donation income (online and offline); fees are the processor's on gifts to that designation.
    """
    result: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: {"raised": 0, "refunds": 0, "chargebacks": 0, "fees": 0, "spent": 0})
    )
    rows = entries(since=since, until=until, designation=designation).order_by()
    income = rows.filter(account__type=Account.Type.INCOME)
    for key, cur, code, total in income.values_list("designation", "currency", "account_code").annotate(
        total=Sum("amount_minor")
    ):
        bucket = result[key or "general"][cur]
        if code == "income:refunds":
            bucket["refunds"] += total
        elif code == "income:chargebacks":
            bucket["chargebacks"] += total
        else:
            bucket["raised"] += -total
    expenses = rows.filter(account__type=Account.Type.EXPENSE)
    for key, cur, code, total in expenses.values_list("designation", "currency", "account_code").annotate(
        total=Sum("amount_minor")
    ):
        result[key or "general"][cur]["fees" if code.startswith("expense:fees:") else "spent"] += total
    return {key: dict(value) for key, value in result.items()}


def spent_by_category(*, designation: str | None = None) -> dict[str, dict[str, int]]:
    """Approved expenses per category and currency (minor units)."""
    rows = (
        entries(designation=designation)
        .order_by()
        .filter(
            account__type=Account.Type.EXPENSE,
            kind__in=[LedgerTransaction.Kind.EXPENSE, LedgerTransaction.Kind.DISBURSEMENT],
        )
    )
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for code, cur, total in rows.values_list("account_code", "currency").annotate(total=Sum("amount_minor")):
        result[code.removeprefix("expense:")][cur] = total
    return dict(result)


def entry_count() -> int:
    return LedgerEntry.objects.aggregate(n=Count("id"))["n"]
