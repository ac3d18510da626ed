"""The demo's year of gifts makes every Insights pattern visible, and loading it twice adds nothing."""

from __future__ import annotations

import statistics
from io import StringIO

import pytest
from django.core.management import call_command

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


def test_loading_the_demo_again_adds_no_gifts(demo):
    count = Donation.objects.count()
    call_command("load_demo", stdout=StringIO())
    assert Donation.objects.count() == count
