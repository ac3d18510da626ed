"""The surge intake: accepted into Redis with one round trip, written in batches, never lost or doubled.

These run where the intake runs in production, PostgreSQL with Redis (CI); elsewhere they skip. The beat
process's flush is what writes: here the tests call the same task, as beat would.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from campaigns.petitions import abuse, intake
from campaigns.petitions.forms import SignatureForm
from campaigns.petitions.models import Signature
from campaigns.petitions.tasks import petitions_intake_flush
from config.celery import app as celery_app
from tests.campaigns.petition_fixtures import *  # noqa: F403

FORM = {"name": "Maya Haddad", "email": "maya@example.org", "country": "JO", "city": "Amman"}


@pytest.fixture
def buffered(settings, petition):
    """The production shape: the intake on, Celery not eager (a beat process flushes)."""
    if connection.vendor != "postgresql" or abuse.redis_client() is None:
        pytest.skip("the intake needs PostgreSQL and Redis")
    settings.PETITION_SIGN_BUFFERED = True
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield petition
    celery_app.conf.task_always_eager = eager


def flush() -> int:
    """Run the beat task in this thread, as a worker would (no .get(): threads may race it)."""
    result = petitions_intake_flush.apply()
    assert result.successful(), result.traceback
    return result.result


def sign_url(petition) -> str:
    return f"/act/petitions/{petition.pk}/sign/"


def test_a_sign_request_touches_no_table_and_the_flush_writes_it(buffered, client):
    petition = buffered
    client.post(sign_url(petition), {**FORM, "email": "warm@example.org"})  # caches warm
    with CaptureQueriesContext(connection) as queries:
        response = client.post(sign_url(petition), {**FORM, "postcode": "11118", "comment": "For my village."})
    assert response.status_code == 302
    assert response["Location"].endswith("/thanks/")
    assert list(queries) == []
    assert Signature.objects.count() == 0
    assert intake.intake_backlog() == 2

    with CaptureQueriesContext(connection) as queries:
        assert flush() == 2
    assert [q["sql"].lstrip().split()[0].upper() for q in queries if "INSERT" in q["sql"]] == ["INSERT"]
    assert intake.intake_backlog() == 0
    maya = Signature.objects.get(email="maya@example.org")
    assert (maya.status, maya.name, maya.country, maya.comment, maya.source) == (
        "pending",
        "Maya Haddad",
        "JO",
        "For my village.",
        "form",
    )
    assert maya.email_canonical == "maya@example.org"
    assert maya.region  # derived at the flush from the postcode, as the direct path does
    assert abs(maya.created_at.timestamp() - time.time()) < 60
    assert flush() == 0


def test_the_api_goes_through_the_intake_too(buffered, client):
    response = client.post(
        f"/api/v1/petitions/{buffered.pk}/signatures/",
        {"name": "Omar Saleh", "email": "omar@example.org", "country": "EG"},
        content_type="application/json",
    )
    assert response.status_code == 202
    assert flush() == 1
    assert Signature.objects.get().source == "api"


def test_the_same_person_twice_in_a_batch_or_across_batches_is_one_signature(buffered, client):
    for email in ("maya@gmail.com", "M.A.Y.A@googlemail.com", "maya+wells@gmail.com"):
        assert client.post(sign_url(buffered), {**FORM, "email": email}).status_code == 302
    assert flush() == 3
    client.post(sign_url(buffered), {**FORM, "email": "Maya@Gmail.com"})
    assert flush() == 1
    assert Signature.objects.count() == 1
    assert Signature.objects.get().email == "maya@gmail.com"  # the first one kept


def test_a_flush_that_dies_before_writing_loses_nothing(buffered, client):
    """A flusher takes a batch and dies: the batch is written by a later flush once it is stale, once."""
    for i in range(5):
        client.post(sign_url(buffered), {**FORM, "email": f"signer{i}@example.org"})
    redis = abuse.redis_client()
    register = cache.make_key(intake.TAKEN_KEY)
    dead = f"{register}:dead-flusher"
    taken = redis.register_script(intake._TAKE_LUA)(
        keys=[cache.make_key(intake.QUEUE_KEY), dead, register], args=[3, time.time()]
    )
    assert len(taken) == 3  # ... and then the process is gone
    assert flush() == 2  # a flush right after writes the rest, and leaves the fresh batch alone
    assert Signature.objects.count() == 2
    assert intake.intake_backlog() == 3
    redis.zadd(register, {dead: time.time() - intake.STALE_SECONDS - 1})
    assert flush() == 3
    assert Signature.objects.count() == 5
    assert intake.intake_backlog() == 0


def test_a_flush_that_dies_after_writing_doubles_nothing(buffered, client):
    """Written and committed, but the taken list was never deleted: writing it again changes nothing."""
    for i in range(4):
        client.post(sign_url(buffered), {**FORM, "email": f"signer{i}@example.org"})
    redis = abuse.redis_client()
    register = cache.make_key(intake.TAKEN_KEY)
    dead = f"{register}:dead-flusher"
    items = redis.register_script(intake._TAKE_LUA)(
        keys=[cache.make_key(intake.QUEUE_KEY), dead, register], args=[10, time.time() - 3600]
    )
    intake._write(items)  # committed; then the process died before deleting its taken list
    assert Signature.objects.count() == 4
    assert flush() == 4  # the stale list is written again ...
    assert Signature.objects.count() == 4  # ... and nothing is doubled
    assert Signature.objects.filter(email_sent_at__isnull=False).count() == 0
    assert intake.intake_backlog() == 0


def test_the_limits_refuse_in_the_same_round_trip_and_keep_nothing(buffered, client, settings):
    settings.PETITION_RATE_IP_BURST = "3/60"
    answers = [client.post(sign_url(buffered), {**FORM, "email": f"s{i}@example.org"}).status_code for i in range(5)]
    assert answers == [302, 302, 302, 429, 429]
    assert flush() == 3
    assert Signature.objects.count() == 3


def test_disposable_domains_and_closed_petitions_are_refused_before_redis(buffered, client):
    from campaigns.petitions.models import DisposableDomain

    DisposableDomain.objects.create(domain="throwaway.example")
    abuse.disposable_domains_changed()
    response = client.post(sign_url(buffered), {**FORM, "email": "x@throwaway.example"})
    assert response.status_code == 400
    assert "throwaway" in response.content.decode()
    buffered.state = buffered.State.CLOSED
    buffered.save_revision().publish()
    response = client.post(sign_url(buffered), {**FORM, "email": "late@example.org"})
    assert response.status_code == 400
    assert intake.intake_backlog() == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_concurrent_signings_with_one_email_through_the_intake_make_one_signature(buffered, settings):
    settings.PETITION_RATE_IP_BURST = "0/60"
    settings.PETITION_RATE_IP_SUSTAINED = "0/60"
    emails = ["maya@gmail.com", "Maya@Gmail.com", "m.a.y.a@gmail.com", "maya+petition@googlemail.com"]
    statuses: list[int] = []
    barrier = threading.Barrier(50)

    def submit(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = Client().post(sign_url(buffered), {**FORM, "email": emails[i % len(emails)]})
            statuses.append(response.status_code)
            if i % 10 == 0:
                flush()  # flushes racing the signing, as beat's do
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    flush()
    assert statuses == [302] * 50
    assert Signature.objects.count() == 1
    assert Signature.objects.get().email_canonical == "maya@gmail.com"
    assert intake.intake_backlog() == 0


@pytest.mark.parametrize(
    "data",
    [
        FORM,
        {**FORM, "public": "on", "updates": "on", "comment": "  Because.  ", "postcode": "SW1A 1AA"},
        {**FORM, "name": "  Maya   Haddad "},
        {**FORM, "name": "M"},
        {**FORM, "name": ""},
        {**FORM, "email": "not-an-email"},
        {**FORM, "country": "XX"},
        {**FORM, "country": ""},
        {**FORM, "comment": "x" * 281},
        {**FORM, "city": "y" * 81},
        {"name": "Maya Haddad"},
    ],
)
@pytest.mark.parametrize("ask_for_comment", [True, False])
def test_the_quick_check_agrees_with_the_form(data, ask_for_comment, db):
    form = SignatureForm(data, ask_for_comment=ask_for_comment)
    quick = SignatureForm.cleaned_or_none(data, ask_for_comment=ask_for_comment)
    if form.is_valid():
        assert quick == form.cleaned_data
    else:
        assert quick is None
