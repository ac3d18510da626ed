"""Slot sizing from calls per minute, and what a full time offers."""
# ruff: noqa: F811 (the march fixtures are imported from test_marches_fixtures and named as arguments)

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest

from campaigns.marches.models import MarchParticipant, MarchSlot, slot_plan
from campaigns.marches.selectors import time_key
from campaigns.marches.services import SlotFull, march_slots_ensure, participant_register
from tests.campaigns.test_marches_fixtures import live_march, second_target  # noqa: F401


@pytest.mark.parametrize(
    ("rate", "preferred", "minutes", "capacity"),
    [
        ("2", 5, 5, 10),  # two a minute for five minutes
        ("3.5", 5, 5, 17),  # never rounded up past the rate
        ("0.5", 1, 2, 1),  # one every two minutes: the slot grows to hold one person
        ("0.25", 5, 5, 1),
        ("0.3", 1, 4, 1),
        ("10", 1, 1, 10),
    ],
)
def test_slot_length_and_capacity_follow_the_calls_per_minute(rate, preferred, minutes, capacity):
    plan = slot_plan(Decimal(rate), preferred)
    assert (plan.minutes, plan.capacity) == (minutes, capacity)
    # Calls are spread evenly: each minute of the slot gets the rate (rounded up), the slot no more than it holds.
    offsets = [plan.call_offset(position, Decimal(rate)) for position in range(plan.capacity)]
    per_minute = Counter(offset // timedelta(minutes=1) for offset in offsets)
    assert max(per_minute.values()) <= math.ceil(Decimal(rate))
    assert max(offsets) < timedelta(minutes=plan.minutes)
    assert plan.capacity <= Decimal(rate) * plan.minutes


def test_slots_cover_the_window_for_each_office(live_march, target, second_target):
    slots = MarchSlot.objects.filter(march=live_march)
    assert slots.count() == 12 * 2  # an hour of five-minute slots for two offices
    assert set(slots.values_list("capacity", flat=True)) == {5}
    assert march_slots_ensure(march=live_march) == 0  # running it again makes nothing new
    live_march.calls_per_minute = Decimal("2")
    live_march.save()
    march_slots_ensure(march=live_march)
    assert set(slots.values_list("capacity", flat=True)) == {10}


def test_an_office_never_gets_more_calls_a_minute_than_staff_set(live_march, target):
    start = MarchSlot.objects.filter(march=live_march).order_by("starts_at").last().starts_at
    for n in range(10):
        participant_register(march=live_march, name=f"P{n}", email=f"p{n}@example.org", region="Amman",
                             language="en", slot=time_key(start))  # fmt: skip
    calls = Counter(
        (p.target_id, p.call_at.replace(second=0))
        for p in MarchParticipant.objects.filter(march=live_march, call_at__isnull=False)
    )
    assert max(calls.values()) == 1  # one call a minute per office
    assert MarchParticipant.objects.filter(target=target).count() == 5  # Amman's office first, until full


def test_a_full_time_offers_the_next_free_time_or_the_letter(client, live_march):
    slots = MarchSlot.objects.filter(march=live_march).order_by("starts_at")
    last = slots.last().starts_at
    slots.filter(starts_at=last - timedelta(minutes=5)).update(booked=5)
    with pytest.raises(SlotFull) as caught:
        participant_register(march=live_march, name="Late", email="late@example.org", region="Amman",
                             language="en", slot=time_key(last - timedelta(minutes=5)))  # fmt: skip
    assert caught.value.next_free == last
    assert not MarchParticipant.objects.filter(supporter__email="late@example.org").exists()

    data = {
        "name": "Huda",
        "email": "huda@example.org",
        "region": "Amman",
        "slot": time_key(last - timedelta(minutes=5)),
    }
    response = client.post(live_march.url, data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "That time has just filled up." in text
    assert f'name="slot" value="{time_key(last)}"' in text  # book the next free time
    assert 'name="slot" value="letter"' in text  # or write instead
    assert not MarchParticipant.objects.filter(march=live_march).exists()

    response = client.post(live_march.url, {**data, "slot": "letter"})
    assert response.status_code == 302
    participant = MarchParticipant.objects.get(supporter__email="huda@example.org")
    assert participant.slot is None and participant.call_at is None
