"""Surges against PostgreSQL: concurrent signing with one address, and confirming while the fold runs."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from campaigns.petitions.models import PetitionTally, Signature
from campaigns.petitions.selectors import petition_count
from campaigns.petitions.services import signature_confirm, signature_token, signatures_fold
from tests.campaigns.petition_fixtures import *  # noqa: F403

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (real row locks and concurrent connections)")


def run_threads(count: int, work) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_fifty_concurrent_signings_with_one_email_make_one_signature(petition, settings):
    settings.PETITION_RATE_IP_BURST = "0/60"
    settings.PETITION_RATE_IP_SUSTAINED = "0/60"
    statuses: list[int] = []
    emails = ["maya@gmail.com", "Maya@Gmail.com", "m.a.y.a@gmail.com", "maya+petition@googlemail.com", "MAYA@gmail.com"]

    def submit(i: int) -> None:
        response = Client().post(
            f"/act/petitions/{petition.pk}/sign/",
            {"name": "Maya Haddad", "email": emails[i % len(emails)], "country": "JO"},
        )
        statuses.append(response.status_code)

    assert run_threads(50, submit) == []
    assert statuses == [302] * 50
    assert Signature.objects.count() == 1
    assert Signature.objects.get().email_canonical == "maya@gmail.com"


def test_confirmations_during_folds_lose_nothing(petition, settings):
    settings.PETITION_RATE_IP_BURST = "0/60"
    settings.PETITION_RATE_IP_SUSTAINED = "0/60"
    from tests.campaigns.petition_fixtures import sign

    places = [("JO", "Amman"), ("JO", "Irbid"), ("EG", "Cairo"), ("LB", "Beirut")]
    for i in range(60):
        sign(petition, i, country=places[i % 4][0], city=places[i % 4][1])
    signatures = list(Signature.objects.order_by("pk"))
    stop = threading.Event()

    def confirm_or_fold(i: int) -> None:
        if i == 0:
            while not stop.is_set():
                signatures_fold()
            return
        try:
            for signature in signatures[(i - 1) :: 5]:
                token = signature_token(
                    signature_id=signature.pk,
                    email_canonical=signature.email_canonical,
                    created_at=signature.created_at,
                )
                signature_confirm(signature_id=signature.pk, token=token)
        finally:
            if i == 5:
                stop.set()

    # Five confirmers and one folder at once; the last confirmer stops the folder.
    def work(i: int) -> None:
        confirm_or_fold(i)

    errors = run_threads(6, work)
    stop.set()
    assert errors == []
    signatures_fold()
    confirmed = Signature.objects.filter(status=Signature.Status.CONFIRMED).count()
    assert confirmed == 60
    assert petition_count(petition_id=petition.pk) == 60
    assert sum(PetitionTally.objects.filter(petition=petition).values_list("total", flat=True)) == 60
    tallies = {(t.country, t.region): t.total for t in PetitionTally.objects.filter(petition=petition)}
    assert tallies == {("JO", "Amman"): 15, ("JO", "Irbid"): 15, ("EG", "Cairo"): 15, ("LB", "Beirut"): 15}
