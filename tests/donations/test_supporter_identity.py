"""One Supporter per email address, however the address is typed and however many forms arrive at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from supporters.models import Supporter
from supporters.services import supporter_for_email


@pytest.mark.django_db
def test_one_supporter_per_address_whatever_the_case_and_spaces():
    first = supporter_for_email(email="  Huda@Example.org ", name="Huda Haddad", language="ar")
    again = supporter_for_email(email="huda@example.org", name="Someone Else")
    assert first.pk == again.pk
    stored = Supporter.objects.get()
    assert (stored.email, stored.name, stored.language) == ("huda@example.org", "Huda Haddad", "ar")
    assert first.created_at == stored.created_at


@pytest.mark.django_db
def test_a_missing_name_is_filled_in_and_never_overwritten():
    supporter_for_email(email="omar@example.org", name="")
    supporter_for_email(email="omar@example.org", name="  Omar Saleh ")
    supporter_for_email(email="omar@example.org", name="O. S.")
    assert Supporter.objects.get(email="omar@example.org").name == "Omar Saleh"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_first_gifts_from_one_address_make_one_supporter():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every writer, so it cannot show a race")
    barrier = threading.Barrier(12)
    ids: list[int] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            barrier.wait()
            ids.append(supporter_for_email(email="race@example.org", name="Race").pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(ids)) == 1
    assert Supporter.objects.filter(email="race@example.org").count() == 1
