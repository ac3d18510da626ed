"""The demo's year of gifts makes every Insights pattern visible, is in the books, and loading it twice adds nothing."""

from __future__ import annotations

import statistics
from collections import defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from donations.insights import selectors
from donations.insights.hijri import RAMADAN
from donations.insights.selectors import Scope
from donations.models import Donation


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=StringIO())


def test_the_demo_shows_midday_weekday_ramadan_and_crisis_effects(demo):
    scope = Scope.default()
    heat = selectors.heatmap(scope)
    by_hour = [sum(heat.cell(weekday, hour).gifts for weekday in range(7)) for hour in range(24)]
    assert max(range(24), key=by_hour.__getitem__) in (11, 12, 13, 14)
    assert by_hour[12] > 5 * by_hour[3]
    by_weekday = [sum(heat.cell(weekday, hour).gifts for hour in range(24)) for weekday in range(7)]
    assert min(by_weekday[1], by_weekday[2]) > max(by_weekday[4], by_weekday[5])

    months = selectors.hijri_months(scope).rows
    ramadan = [row.amount for row in months if row.month == RAMADAN]
    others = [row.amount for row in months if row.month not in (RAMADAN, 8) and row.gifts > 300]
    assert ramadan and max(ramadan) > 2 * statistics.median(others)
    nights = selectors.ramadan_nights(scope).rows
    assert any(row.last_per_day > row.first_per_day for row in nights if row.last_days and row.first_days)

    spikes = selectors.daily(scope).spikes
    assert any("Earthquake appeal" in day.notes for day in spikes)
    assert selectors.mrr(scope).rows and selectors.retention_cohorts(scope).rows
    assert len(selectors.demographics("age_band").rows) >= 4
    assert selectors.source_split(scope, "utm_source").rows
    marchers = {row.label: row for row in selectors.advocacy(scope).rows}["Joined a march"]
    assert marchers.people and marchers.gave_after and marchers.median_days is not None


def test_the_year_of_gifts_is_in_the_books(demo):
    """Posted as the live path posts a paid gift and its refund: reconciled, verified, on the transparency page."""
    from donations.ledger.models import LedgerTransaction
    from donations.ledger.reconciliation import reconciliation_report
    from donations.ledger.selectors import designation_totals
    from donations.ledger.verification import ledger_verify
    from donations.receipts.models import Receipt

    paid = Donation.objects.filter(succeeded_at__isnull=False)
    assert paid.count() > 8000
    kinds = LedgerTransaction.Kind
    assert LedgerTransaction.objects.filter(kind=kinds.GIFT).count() == paid.count()
    refunded = paid.filter(amount_refunded_minor__gt=0)
    assert refunded.count() > 80
    assert LedgerTransaction.objects.filter(kind=kinds.REFUND).count() == refunded.count()
    report = reconciliation_report()
    assert report.clean, report.differences[:5]
    verified = ledger_verify()
    assert verified.ok, verified.problems
    assert verified.checkpoints >= 2 and not verified.notes  # a signed checkpoint covers every entry
    # What the transparency page shows as raised and refunded is what was paid and refunded.
    raised: dict[str, int] = defaultdict(int)
    refunds: dict[str, int] = defaultdict(int)
    for per_currency in designation_totals().values():
        for currency, bucket in per_currency.items():
            raised[currency] += bucket["raised"]
            refunds[currency] += bucket["refunds"]
    assert dict(raised) == dict(paid.order_by().values_list("currency").annotate(total=Sum("amount_minor")))
    assert {k: v for k, v in refunds.items() if v} == dict(
        refunded.order_by().values_list("currency").annotate(total=Sum("amount_refunded_minor"))
    )
    # No receipts for the imported history (docs/insights.md): only the demo's live sandbox gifts have one.
    assert Receipt.objects.count() == paid.filter(utm_source="demo").count() == 8


def test_loading_the_demo_again_adds_no_gifts(demo):
    from donations.ledger.models import Checkpoint, LedgerEntry, LedgerHead

    count = Donation.objects.count()
    books = (LedgerEntry.objects.count(), LedgerHead.objects.get().last_chain_hash, Checkpoint.objects.count())
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "nothing changed" in out.getvalue()
    assert Donation.objects.count() == count
    assert (LedgerEntry.objects.count(), LedgerHead.objects.get().last_chain_hash, Checkpoint.objects.count()) == books
