"""Registering and booking: one registration per email, private links, bad input, and no overbooking under load."""
# ruff: noqa: F811 (the march fixtures are imported from test_marches_fixtures and named as arguments)

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from campaigns.marches.models import MarchAction, MarchParticipant, MarchSlot
from campaigns.marches.selectors import time_key
from campaigns.marches.services import MarchError, SlotFull, participant_register
from supporters.models import Supporter
from tests.campaigns.test_marches_fixtures import arabic_march, future_march, live_march, on_commit, second_target  # noqa: F401


def last_time(march):
    return time_key(MarchSlot.objects.filter(march=march).order_by("starts_at").last().starts_at)


def form(march, **overrides):
    return {"name": "Huda Haddad", "email": "huda@example.org", "region": "Amman", "slot": last_time(march),
            **overrides}  # fmt: skip


def test_registering_books_a_slot_and_emails_a_private_link(client, live_march, target, on_commit):
    with on_commit(execute=True):
        response = client.post(live_march.url, form(live_march))
    participant = MarchParticipant.objects.get(march=live_march)
    assert response.status_code == 302 and response["Location"] == f"/act/marches/you/{participant.token}/"
    assert participant.target == target  # the office for their region
    assert participant.slot.booked == 1
    page = client.get(response["Location"]).content.decode()
    assert f"Call Rana Khalil at {timezone.localtime(participant.call_at, live_march.zone):%H:%M}" in page
    assert 'href="tel:+96265550100"' in page
    assert "minister.private@example.gov" not in page
    [message] = mail.outbox
    assert message.to == ["huda@example.org"]
    assert f"/act/marches/you/{participant.token}/" in message.body


def test_registering_again_shows_nothing_and_emails_the_existing_slot(client, live_march, on_commit):
    with on_commit(execute=True):
        client.post(live_march.url, form(live_march))
    participant = MarchParticipant.objects.get()
    mail.outbox.clear()
    other_time = time_key(MarchSlot.objects.filter(march=live_march).order_by("-starts_at")[1].starts_at)
    with on_commit(execute=True):
        response = client.post(live_march.url, form(live_march, email="HUDA@example.org", slot=other_time, name="X"))
    text = response.content.decode()
    assert response.status_code == 200 and "Check your email" in text
    assert participant.token not in text and "Rana Khalil at" not in text  # an email alone reveals nothing
    assert MarchParticipant.objects.count() == 1
    assert sum(MarchSlot.objects.values_list("booked", flat=True)) == 1  # nothing else booked
    [message] = mail.outbox
    assert message.to == ["huda@example.org"] and participant.token in message.body
    assert f"{timezone.localtime(participant.call_at, live_march.zone):%H:%M}" in message.body


def test_the_arabic_page_books_into_the_same_slots(client, arabic_march, live_march, on_commit):
    with on_commit(execute=True):
        response = client.post(arabic_march.url, form(live_march, email="mona@example.org", name="منى"))
    assert response.status_code == 302 and response["Location"].startswith("/ar/act/marches/you/")
    participant = MarchParticipant.objects.get()
    assert participant.march_id == live_march.pk and participant.language == "ar"
    page = client.get(response["Location"]).content.decode()
    assert 'dir="rtl"' in page and "اتصل من أجل المياه النظيفة" in page
    assert "مرحبًا، اسمي" in page  # the Arabic script
    assert "/ar/act/marches/you/" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ("202001010000", "outside the march"),
        ("not-a-time", "Select a valid choice"),
        ("", "This field is required"),
    ],
)
def test_bad_slot_ids_are_refused_and_nothing_is_written(client, live_march, slot, message):
    response = client.post(live_march.url, form(live_march, slot=slot))
    assert response.status_code == 200
    assert message in response.content.decode() or "Select a valid choice" in response.content.decode()
    assert not MarchParticipant.objects.exists() and not Supporter.objects.exists()


def test_booking_outside_the_window_or_after_a_time_has_passed_is_refused(live_march):
    first = MarchSlot.objects.filter(march=live_march).order_by("starts_at").first()
    with pytest.raises(MarchError, match="has passed"):
        participant_register(march=live_march, name="A", email="a@example.org", region="Amman", language="en",
                             slot=time_key(first.starts_at))  # fmt: skip
    with pytest.raises(MarchError, match="outside the march"):
        participant_register(march=live_march, name="A", email="a@example.org", region="Amman", language="en",
                             slot=time_key(live_march.window_end))  # fmt: skip
    with pytest.raises(MarchError, match="not one of this march"):
        participant_register(march=live_march, name="A", email="a@example.org", region="Amman", language="en",
                             slot=time_key(first.starts_at + timedelta(minutes=2)))  # fmt: skip
    with pytest.raises(MarchError, match="region from the list"):
        participant_register(march=live_march, name="A", email="a@example.org", region="Atlantis", language="en",
                             slot="letter")  # fmt: skip
    assert not MarchParticipant.objects.exists() and not Supporter.objects.exists()


def test_an_ended_march_takes_no_registrations(client, live_march):
    live_march.window_date = (timezone.now() - timedelta(days=2)).date()
    live_march.save_revision().publish()
    with pytest.raises(MarchError, match="ended"):
        participant_register(march=live_march, name="A", email="a@example.org", region="Amman", language="en",
                             slot="letter")  # fmt: skip
    response = client.post(live_march.url, form(live_march))
    assert "This march has ended" in response.content.decode()
    assert not MarchParticipant.objects.exists()


def test_tampered_links_and_ids_are_refused(client, live_march):
    client.post(live_march.url, form(live_march))
    participant = MarchParticipant.objects.get()
    assert client.get("/act/marches/you/not-a-real-token/").status_code == 404
    assert client.post("/act/marches/you/not-a-real-token/act/", {"action": "call"}).status_code == 404
    url = f"/act/marches/you/{participant.token}/act/"
    response = client.post(url, {"action": "call", "target": "999999", "outcome": "reached"}, follow=True)
    assert "That official is not part of this march." in response.content.decode()
    response = client.post(url, {"action": "call", "target": str(participant.target_id), "outcome": "shouted"},
                           follow=True)  # fmt: skip
    assert "Please say how the call went." in response.content.decode()
    response = client.post(url, {"action": "drop_tables", "target": str(participant.target_id)}, follow=True)
    assert "Please use one of the buttons" in response.content.decode()
    assert not MarchAction.objects.exists()


def test_the_honeypot_refuses_automated_registrations(client, live_march):
    response = client.post(live_march.url, form(live_march, website="http://spam.example"))
    assert "looked automated" in response.content.decode()
    assert not MarchParticipant.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_bookings_never_overfill_a_slot(live_march):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks and real concurrent connections")
    slot_time = last_time(live_march)
    capacity = sum(MarchSlot.objects.filter(march=live_march, starts_at__isnull=False).filter(
        starts_at=MarchSlot.objects.filter(march=live_march).order_by("starts_at").last().starts_at
    ).values_list("capacity", flat=True))  # fmt: skip
    assert capacity == 10  # two offices, five places each
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def book(n: int) -> None:
        try:
            barrier.wait()
            participant_register(march=live_march, name=f"P{n}", email=f"p{n}@example.org", region="Amman",
                                 language="en", slot=slot_time)  # fmt: skip
            outcomes.append("booked")
        except SlotFull:
            outcomes.append("full")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count("booked") == 10 and outcomes.count("full") == 10
    for slot in MarchSlot.objects.filter(march=live_march, booked__gt=0):
        assert slot.booked == slot.capacity == slot.participants.count()
    assert MarchParticipant.objects.filter(march=live_march).count() == 10
