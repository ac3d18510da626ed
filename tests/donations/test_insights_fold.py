"""Insights rollups: the incremental fold equals a recomputation from the raw gifts."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command

from donations.insights import selectors
from donations.insights.hijri import to_hijri
from donations.insights.models import (
    MONTHLY,
    DailyRollup,
    DonorRollup,
    ExchangeRate,
    GiftFact,
    HourlyRollup,
    SourceRollup,
)
from donations.insights.services import insights_fold
from donations.models import Donation
from donations.money import exponent
from tests.donations.insights_helpers import gift, monthly, organisation, supporter, touch

ZONE = ZoneInfo("America/New_York")


def recompute() -> tuple[Counter, Counter, Counter, Counter, Counter]:
    """The hourly, country, unconverted and donor rollups computed straight from the gift rows."""
    gifts, amounts, countries, unconverted = Counter(), Counter(), Counter(), Counter()
    profiles: dict[tuple, list] = {}
    rates = list(ExchangeRate.objects.filter(reporting_currency="USD").order_by("valid_from"))
    for donation in Donation.objects.all():
        if donation.succeeded_at is None or donation.dispute_status == "lost":
            continue
        net = donation.amount_minor - donation.amount_refunded_minor
        if net <= 0:
            continue
        local = donation.created_at.astimezone(ZONE)
        if donation.currency == "USD":
            amount = net
        else:
            valid = [r for r in rates if r.currency == donation.currency and r.valid_from <= local.date()]
            if not valid:
                unconverted[(local.date(), donation.currency)] += 1
                continue
            scaled = Decimal(net) * Decimal(10) ** (exponent("USD") - exponent(donation.currency)) * valid[-1].rate
            amount = int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        key = (local.date(), local.hour, local.weekday(), donation.surface, donation.frequency)
        gifts[key] += 1
        amounts[key] += amount
        countries[(local.date(), str(donation.address_country or ""))] += amount
        slices = [("", ""), ("surface", donation.surface)]
        slices += [("page", str(donation.designation_page_id))] if donation.designation_page_id else []
        for slice_ in slices:
            profile = profiles.setdefault((donation.supporter_id, *slice_), [set(), local.date(), local.date(), 0])
            profile[0].add(local.date().replace(day=1))
            profile[1], profile[2] = min(profile[1], local.date()), max(profile[2], local.date())
            profile[3] += 1
    donors = Counter()
    for (_supporter, *slice_), (months, first, last, n) in profiles.items():
        for month in months:
            donors[(month, *slice_, "active")] += 1
        donors[(first, *slice_, "first")] += 1
        donors[(first, *slice_, "repeat")] += n > 1
        donors[(last, *slice_, "latest")] += 1
    return gifts, amounts, countries, unconverted, donors


def rolled_up() -> tuple[Counter, Counter, Counter, Counter, Counter]:
    gifts, amounts, countries, unconverted, donors = Counter(), Counter(), Counter(), Counter(), Counter()
    for row in HourlyRollup.objects.all():
        key = (row.local_date, row.local_hour, row.weekday, row.surface, row.frequency)
        gifts[key] += row.gifts
        amounts[key] += row.amount
    for row in SourceRollup.objects.filter(dimension="country"):
        countries[(row.local_date, row.value)] += row.amount
    for row in SourceRollup.objects.filter(dimension="unconverted"):
        unconverted[(row.local_date, row.value)] += row.gifts
    for row in DonorRollup.objects.all():
        for name in DonorRollup.COUNTS:
            donors[(row.local_date, row.slice, row.value, name)] += getattr(row, name)
    return +gifts, +amounts, +countries, +unconverted, +donors


def by_day(gifts: Counter, amounts: Counter) -> Counter:
    """The recomputed hourly gifts and amounts per day, channel and frequency."""
    found = Counter()
    for (day, _hour, _weekday, surface, frequency), n in gifts.items():
        found[(day, surface, frequency, "gifts")] += n
    for (day, _hour, _weekday, surface, frequency), amount in amounts.items():
        found[(day, surface, frequency, "amount")] += amount
    return +found


def daily_rolled_up() -> Counter:
    found = Counter()
    for row in DailyRollup.objects.all():
        found[(row.local_date, row.surface, row.frequency, "gifts")] += row.gifts
        found[(row.local_date, row.surface, row.frequency, "amount")] += row.amount
    return +found


def months_are_their_days() -> None:
    """Each month rollup holds exactly its day rollup summed per month (no empty rows left behind)."""
    for day_model, month_model in MONTHLY.items():
        from_days, months = Counter(), Counter()
        for row in day_model.objects.values(*day_model.KEY, "gifts", "amount"):
            key = (row["local_date"].replace(day=1), *(row[name] for name in day_model.KEY[1:]))
            from_days[(*key, "gifts")] += row["gifts"]
            from_days[(*key, "amount")] += row["amount"]
        for row in month_model.objects.values(*month_model.KEY, "gifts", "amount"):
            assert row["local_date"].day == 1
            key = tuple(row[name] for name in month_model.KEY)
            months[(*key, "gifts")] += row["gifts"]
            months[(*key, "amount")] += row["amount"]
        assert months == +from_days and len(months) > 10
        assert not month_model.objects.filter(gifts=0, amount=0).exists()


# Scopes whose dates cut months (read from days at the ends and months between), or fall within one.
CUT_SCOPES = [
    selectors.Scope(),
    selectors.Scope(since=date(2025, 9, 14), until=date(2026, 6, 20)),
    selectors.Scope(since=date(2025, 7, 1), until=date(2026, 2, 28), surface="embed"),
    selectors.Scope(since=date(2026, 1, 3), until=date(2026, 1, 27)),
    selectors.Scope(until=date(2026, 4, 15)),
    selectors.Scope(since=date(2025, 12, 31)),
]


def summed_from_days(scope: selectors.Scope, model, keys: tuple[str, ...], **filters) -> dict:
    """What selectors.summed should say, from the day rollup alone."""
    found = {}
    for row in scope.filter(model.objects.filter(**filters)).values_list(*keys, "gifts", "amount"):
        cell = found.setdefault(row[: len(keys)], [0, 0])
        cell[0] += row[-2]
        cell[1] += row[-1]
    return {key: cell for key, cell in found.items() if any(cell)}


def grains_match_days() -> None:
    from django.db.models import Q

    for scope in CUT_SCOPES:
        for model, keys, filters in [
            (HourlyRollup, ("weekday", "local_hour"), {}),
            (DailyRollup, ("rate_id", "frequency"), {}),
            (SourceRollup, ("dimension", "value"), {"dimension__in": ["amount", "country", "unconverted"]}),
        ]:
            got = {key: cell for key, cell in selectors.summed(scope, model, keys, Q(**filters)).items() if any(cell)}
            assert got == summed_from_days(scope, model, keys, **filters)


@pytest.mark.parametrize(
    ("since", "until", "months", "days"),
    [
        (None, None, (None, None), []),
        (date(2026, 1, 1), date(2026, 3, 31), (date(2026, 1, 1), date(2026, 3, 1)), []),
        (
            date(2025, 12, 15),
            date(2026, 3, 3),
            (date(2026, 1, 1), date(2026, 2, 1)),
            [(date(2025, 12, 15), date(2025, 12, 31)), (date(2026, 3, 1), date(2026, 3, 3))],
        ),
        (date(2026, 2, 2), date(2026, 2, 27), None, [(date(2026, 2, 2), date(2026, 2, 27))]),
        (date(2026, 2, 2), date(2026, 3, 5), None, [(date(2026, 2, 2), date(2026, 3, 5))]),
        (None, date(2024, 2, 29), (None, date(2024, 2, 1)), []),
        (date(2024, 2, 29), None, (date(2024, 3, 1), None), [(date(2024, 2, 29), date(2024, 2, 29))]),
    ],
)
def test_a_range_is_its_whole_months_and_the_days_at_its_ends(since, until, months, days):
    assert selectors.whole_months(since, until) == (months, days)


def last_day_of_shaban(year: int) -> date:
    day = date(year, 1, 1)
    while not (to_hijri(day).month == 8 and to_hijri(day + timedelta(days=1)).month == 9):
        day += timedelta(days=1)
    return day


@pytest.fixture
def org(site_tree):
    return organisation(site_tree.site, currency="USD", time_zone="America/New_York")


def raw_monthly() -> dict:
    """Monthly gifts' amounts per month and recurring gift, straight from the gift rows (for mrr and cohorts)."""
    by_month: dict = {}
    for key, amount in recompute_amounts().items():
        month, recurring = key
        by_month.setdefault(month, {}).setdefault(recurring, 0)
        by_month[month][recurring] += amount
    return by_month


def recompute_amounts() -> Counter:
    rates = list(ExchangeRate.objects.filter(reporting_currency="USD").order_by("valid_from"))
    found = Counter()
    for donation in Donation.objects.filter(recurring_gift__isnull=False, succeeded_at__isnull=False):
        net = 0 if donation.dispute_status == "lost" else donation.amount_minor - donation.amount_refunded_minor
        if net <= 0:
            continue
        local = donation.created_at.astimezone(ZONE)
        if donation.currency != "USD":
            valid = [r for r in rates if r.currency == donation.currency and r.valid_from <= local.date()]
            if not valid:
                continue
            scaled = Decimal(net) * Decimal(10) ** (exponent("USD") - exponent(donation.currency)) * valid[-1].rate
            net = int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        found[(local.date().replace(day=1), donation.recurring_gift_id)] += net
    return found


def donors_seen(scope: selectors.Scope) -> tuple:
    found = selectors.donors(scope, today=date(2026, 12, 1))
    return found.rows, found.first_time, found.converted, found.lapsed


def donors_from_facts(scope: selectors.Scope) -> tuple:
    cutoff = (scope.until or date(2026, 12, 1)) - relativedelta(months=selectors.LAPSED_MONTHS)
    found = selectors._donors_from_facts(scope, cutoff)
    return found.rows, found.first_time, found.converted, found.lapsed


def test_randomised_gifts_refunds_and_refolds_match_a_recomputation(org, site_tree):
    rng = random.Random(6)
    pages = [None, site_tree.home, site_tree.about]
    ExchangeRate.objects.create(currency="JOD", reporting_currency="USD", valid_from=date(2025, 1, 1), rate="1.41")
    ExchangeRate.objects.create(currency="EUR", reporting_currency="USD", valid_from=date(2025, 1, 1), rate="1.08")
    people = [supporter(f"donor{n}@example.org") for n in range(40)]
    plans = [monthly(people[n]) for n in range(8)]
    start = datetime(2025, 6, 1, tzinfo=UTC)
    made = []
    for round_ in range(4):
        for _n in range(60):
            currency = rng.choice(["USD", "USD", "JOD", "EUR", "JPY"])
            amount = rng.choice([500, 1000, 2500, 10000]) * (10 if currency == "JOD" else 1)
            at = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 540))
            made.append(
                gift(
                    rng.choice(people), at, amount, currency,
                    paid=rng.random() > 0.1,
                    surface=rng.choice(["page", "embed", "block"]),
                    frequency=rng.choice(["one_time", "monthly"]),
                    address_country=rng.choice(["", "JO", "GB", "US"]),
                    designation_page=rng.choice(pages),
                    recurring_gift=rng.choice([None, *plans]),
                )
            )  # fmt: skip
        # Refunds, lost disputes and late payments between folds.
        for donation in rng.sample(made, 15):
            donation.refresh_from_db()
            choice = rng.random()
            if choice < 0.4 and donation.succeeded_at:
                touch(donation, amount_refunded_minor=rng.choice([donation.amount_minor // 2, donation.amount_minor]))
            elif choice < 0.6 and donation.succeeded_at:
                touch(donation, dispute_status="lost")
            elif donation.succeeded_at is None:
                touch(donation, succeeded_at=donation.created_at)
        insights_fold()
        insights_fold()  # folding the same gifts again changes nothing
        if round_ == 1:
            # A new rate from mid-2026 applies to later gifts, whenever they were folded.
            ExchangeRate.objects.create(
                currency="JOD", reporting_currency="USD", valid_from=date(2026, 3, 1), rate="1.4104"
            )
    assert rolled_up() == tuple(+c for c in recompute())
    assert daily_rolled_up() == by_day(recompute()[0], recompute()[1])
    assert sum(rolled_up()[0].values()) > 150  # most of the 240 gifts still count
    months_are_their_days()
    grains_match_days()
    assert insights_fold().changed == 0
    # The donors page from the rollup says what grouping the gifts by donor says, ranges cutting months included.
    for scope in [
        selectors.Scope(),
        selectors.Scope(since=date(2025, 9, 14), until=date(2026, 6, 20)),
        selectors.Scope(since=date(2026, 1, 1), until=date(2026, 3, 31), surface="embed"),
        selectors.Scope(page_id=site_tree.home.pk, until=date(2026, 2, 10)),
    ]:
        assert donors_seen(scope) == donors_from_facts(scope)
    assert donors_seen(selectors.Scope())[1] > 20
    # MRR and cohorts from their rollups say what the monthly payments straight from the gift rows say.
    raw = raw_monthly()
    for scope in [selectors.Scope(), selectors.Scope(since=date(2025, 10, 1), until=date(2026, 8, 31))]:
        assert selectors.mrr(scope) == selectors.mrr(scope, raw)
        assert selectors.retention_cohorts(scope) == selectors.retention_cohorts(scope, raw)
    scope = selectors.Scope(surface="embed", until=date(2026, 9, 30))
    assert selectors.mrr(scope) == selectors.mrr(scope, selectors.monthly_amounts(scope))
    assert selectors.retention_cohorts(scope) == selectors.retention_cohorts(scope, selectors.monthly_amounts(scope))
    assert len(selectors.mrr(selectors.Scope()).rows) > 10

    call_command("insights_rebuild")
    assert rolled_up() == tuple(+c for c in recompute())
    assert daily_rolled_up() == by_day(recompute()[0], recompute()[1])
    months_are_their_days()
    assert selectors.mrr(selectors.Scope()) == selectors.mrr(selectors.Scope(), raw_monthly())
    # JPY has no rate: those gifts are left out of the figures and counted as unconverted.
    unconverted = GiftFact.objects.filter(converted=False)
    assert unconverted.exists() and set(unconverted.values_list("currency", flat=True)) == {"JPY"}


def test_a_refund_after_folding_subtracts_and_a_repeat_fold_does_not(org):
    person = supporter("a@example.org")
    donation = gift(person, datetime(2026, 5, 5, 16, 0, tzinfo=UTC), 10000)
    insights_fold()
    touch(donation, amount_refunded_minor=2500)
    insights_fold()
    insights_fold()
    row = HourlyRollup.objects.get()
    assert (row.gifts, row.amount, row.local_hour) == (1, 7500, 12)  # 16:00 UTC is 12:00 in New York (EDT)
    touch(donation, amount_refunded_minor=10000)
    insights_fold()
    assert not HourlyRollup.objects.exists()


def test_a_change_committed_late_is_folded_and_what_a_fold_saw_is_not_read_again(org):
    from donations.insights.models import FoldState
    from donations.insights.services import OVERLAP, _changed_since

    person = supporter("late@example.org")
    first = gift(person, datetime(2026, 5, 5, 16, 0, tzinfo=UTC), 10000)
    insights_fold()
    cursor = FoldState.objects.get().cursor
    # Everything the last fold saw is within the overlap, and none of it is read again.
    assert Donation.objects.filter(updated_at__gte=cursor - OVERLAP).count() == 1
    assert not _changed_since(cursor - OVERLAP).exists()
    # A gift saved before that fold's cursor but committed after it (its updated_at is older than the cursor).
    late = gift(person, datetime(2026, 5, 6, 16, 0, tzinfo=UTC), 2000)
    Donation.objects.filter(pk=late.pk).update(updated_at=cursor - OVERLAP / 2)
    # A change to the first gift that leaves its figures alone is read once, then no more.
    Donation.objects.filter(pk=first.pk).update(updated_at=cursor + timedelta(seconds=1))
    assert set(_changed_since(cursor - OVERLAP).values_list("pk", flat=True)) == {first.pk, late.pk}
    assert insights_fold().changed == 1
    assert sum(HourlyRollup.objects.values_list("amount", flat=True)) == 12000
    assert not _changed_since(cursor - OVERLAP).exists()
    # A real change (a refund) is read and folded as ever.
    touch(first, amount_refunded_minor=4000)
    assert insights_fold().changed == 1
    assert sum(HourlyRollup.objects.values_list("amount", flat=True)) == 8000
    assert insights_fold().changed == 0


def test_late_at_night_on_the_last_day_of_shaban_counts_in_shaban_local_time(org):
    shaban_end = last_day_of_shaban(2026)
    local = datetime.combine(shaban_end, datetime.min.time()).replace(hour=23, minute=30, tzinfo=ZONE)
    # In UTC this is already the first day of Ramadan.
    assert to_hijri(local.astimezone(UTC).date()).month == 9
    gift(supporter("late@example.org"), local.astimezone(UTC), 7000)
    insights_fold()
    months = selectors.hijri_months(selectors.Scope.default())
    by_month = {(row.year, row.month): row.gifts for row in months.rows}
    assert by_month == {(to_hijri(shaban_end).year, 8): 1}
    heat = selectors.heatmap(selectors.Scope.default())
    assert heat.cell(shaban_end.weekday(), 23).gifts == 1


def test_daylight_saving_changes_use_the_local_hour(org):
    person = supporter("dst@example.org")
    # 8 March 2026: 01:30 EST, then the clocks skip to 03:00; 03:30 EDT.
    gift(person, datetime(2026, 3, 8, 6, 30, tzinfo=UTC))
    gift(person, datetime(2026, 3, 8, 7, 30, tzinfo=UTC))
    # 1 November 2026: 01:30 happens twice (EDT, then EST).
    gift(person, datetime(2026, 11, 1, 5, 30, tzinfo=UTC))
    gift(person, datetime(2026, 11, 1, 6, 30, tzinfo=UTC))
    insights_fold()
    cells = {(row.local_date, row.local_hour): row.gifts for row in HourlyRollup.objects.all()}
    assert cells == {(date(2026, 3, 8), 1): 1, (date(2026, 3, 8), 3): 1, (date(2026, 11, 1), 1): 2}
    assert cells == {(key[0], key[1]): count for key, count in recompute()[0].items()}
