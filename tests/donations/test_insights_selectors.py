"""Insights figures against expectations computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from donations.insights import selectors
from donations.insights.selectors import Scope
from donations.insights.services import insights_fold
from donations.models import DonorSurvey
from supporters.models import Consent
from tests.donations.insights_helpers import gift, monthly, organisation, supporter


@pytest.fixture
def org(site_tree):
    return organisation(site_tree.site, currency="USD", time_zone="UTC")


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_robust_z_score_uses_the_median_and_mad_of_the_window():
    history = [8, 9, 10, 11, 12, 10, 10]  # median 10; deviations 2 1 0 1 2 0 0, so MAD 1
    assert selectors.robust_z(14, history) == pytest.approx(0.6745 * 4)
    assert selectors.robust_z(16, history) == pytest.approx(0.6745 * 6)
    assert selectors.robust_z(16, history[:6]) is None  # too little history


def test_a_day_far_above_its_baseline_is_flagged_and_its_annotation_shown(org):
    from donations.insights.models import SpikeAnnotation

    person = supporter("a@example.org")
    start = date(2026, 1, 1)
    for offset, dollars in enumerate([8, 9, 10, 11, 12, 10, 10, 14, 40]):
        gift(person, at(start + timedelta(days=offset)), dollars * 100)
    SpikeAnnotation.objects.create(day=start + timedelta(days=8), note="Earthquake appeal")
    insights_fold()
    days = selectors.daily(Scope.default())
    assert [d.day for d in days.spikes] == [start + timedelta(days=8)]
    assert days.days[7].spike is False and days.days[7].z == pytest.approx(0.6745 * 4)
    assert days.days[8].notes == ["Earthquake appeal"]


def test_gift_sizes_mean_and_median(org):
    person = supporter("a@example.org")
    for dollars in (5, 10, 30, 100):
        gift(person, at(date(2026, 2, 1)), dollars * 100)
    insights_fold()
    sizes = selectors.gift_sizes(Scope.default(), "USD")
    assert (sizes.gifts, sizes.mean, sizes.median) == (4, 3625, 2000)
    counts = {low: count for low, _high, count in sizes.buckets}
    assert counts == {0: 1, 1000: 1, 2500: 1, 5000: 0, 10000: 1, 25000: 0, 50000: 0, 100000: 0}


@pytest.fixture
def monthly_gifts(org):
    a, b, c, d = (supporter(f"{name}@example.org") for name in "abcd")
    ra, rb, rc = monthly(a, 1000), monthly(b, 2000), monthly(c, 500)
    plan = [
        (a, ra, [(date(2026, 1, 5), 1000), (date(2026, 2, 5), 1000), (date(2026, 3, 5), 1500)]),
        (b, rb, [(date(2026, 1, 9), 2000), (date(2026, 2, 9), 2000)]),
        (c, rc, [(date(2026, 2, 20), 500), (date(2026, 3, 20), 300)]),
    ]
    for person, recurring, payments in plan:
        for day, amount in payments:
            gift(person, at(day), amount, frequency="monthly", recurring_gift=recurring)
    gift(d, at(date(2025, 1, 10)), 5000)  # one gift long ago
    insights_fold()


def test_mrr_and_its_movement(monthly_gifts):
    rows = {r.month: r for r in selectors.mrr(Scope.default()).rows}
    jan, feb, mar = rows[date(2026, 1, 1)], rows[date(2026, 2, 1)], rows[date(2026, 3, 1)]
    assert (jan.mrr, jan.new, jan.expanded, jan.contracted, jan.churned, jan.donors) == (3000, 3000, 0, 0, 0, 2)
    assert (feb.mrr, feb.new, feb.expanded, feb.contracted, feb.churned) == (3500, 500, 0, 0, 0)
    assert (mar.mrr, mar.new, mar.expanded, mar.contracted, mar.churned) == (1800, 0, 500, -200, -2000)


def test_retention_cohorts_by_start_month(monthly_gifts):
    rows = selectors.retention_cohorts(Scope.default()).rows
    assert rows[0][:2] == (date(2026, 1, 1), 2) and rows[0][2][:3] == [2, 2, 1]
    assert rows[1][:2] == (date(2026, 2, 1), 1) and rows[1][2][:3] == [1, 1, None]


def test_new_returning_conversion_and_lapsed_donors(monthly_gifts):
    found = selectors.donors(Scope(until=date(2026, 3, 31)))
    assert found.rows == [
        (date(2025, 1, 1), 1, 0),
        (date(2026, 1, 1), 2, 0),
        (date(2026, 2, 1), 1, 2),
        (date(2026, 3, 1), 0, 2),
    ]
    assert (found.first_time, found.converted, found.lapsed) == (4, 3, 1)
    in_2026 = selectors.donors(Scope(since=date(2026, 1, 1), until=date(2026, 3, 31)))
    assert (in_2026.first_time, in_2026.converted) == (3, 3)


def survey(n: int, age_band: str, *, consent: bool | None = True) -> None:
    for i in range(n):
        person = supporter(f"{age_band}-{consent}-{i}@example.org")
        DonorSurvey.objects.create(supporter=person, age_band=age_band)
        if consent is not None:
            Consent.objects.create(
                supporter=person, topic=Consent.Topic.DEMOGRAPHICS, granted=True, wording="Yes", wording_version="v1",
                source="donation_form",
            )  # fmt: skip
        if consent is False:  # agreed, then withdrew
            Consent.objects.create(
                supporter=person, topic=Consent.Topic.DEMOGRAPHICS, granted=False, wording="No", wording_version="v1",
                source="portal",
            )  # fmt: skip


def test_demographics_show_only_consented_groups_of_ten_or_more(db):
    survey(12, "25_34")
    survey(4, "35_44")
    survey(7, "45_54")
    survey(5, "55_64")
    survey(30, "under_25", consent=None)  # answered, never consented
    survey(15, "65_plus", consent=False)  # consent withdrawn
    groups = selectors.demographics("age_band")
    assert groups.rows == [("25–34", 12), ("Other answers (merged)", 16)]
    assert groups.hidden == 0


def test_a_merged_group_under_ten_is_hidden(db):
    survey(12, "25_34")
    survey(4, "35_44")
    survey(3, "45_54")
    groups = selectors.demographics("age_band")
    assert groups.rows == [("25–34", 12)]
    assert groups.hidden == 7
    assert selectors.k_anonymous([("a", 9)], other_label="other").rows == []


def test_hijri_months_mark_ramadan_and_the_last_ten_nights(org):
    person = supporter("r@example.org")
    # Ramadan 1447 runs from 18 February to 19 March 2026.
    gift(person, at(date(2026, 2, 17)), 1000)  # 29 Sha'ban
    gift(person, at(date(2026, 2, 18)), 2000)  # 1 Ramadan
    gift(person, at(date(2026, 3, 10)), 3000)  # 21 Ramadan
    gift(person, at(date(2026, 3, 19)), 4000)  # 30 Ramadan
    insights_fold()
    months = {(r.year, r.month): (r.amount, r.marked) for r in selectors.hijri_months(Scope.default()).rows}
    assert months == {(1447, 8): (1000, True), (1447, 9): (9000, True)}
    ramadan = selectors.ramadan_nights(Scope.default()).rows[0]
    assert (ramadan.year, ramadan.first_amount, ramadan.last_amount) == (1447, 2000, 7000)
    assert (ramadan.first_days, ramadan.last_days) == (20, 10)
    assert (ramadan.first_per_day, ramadan.last_per_day) == (100, 700)
