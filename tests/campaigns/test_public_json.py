"""The polled public JSON (count.json, regions.json, the API's counts, the march status) answered from its cache.

A hit must carry what the whole stack would have sent (the same body and the
same security headers), cost no query, and never be older than the last fold
or publish.
"""
# ruff: noqa: F811 (fixtures imported from other test modules are named as arguments)

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.marches.services import call_report, counters_fold, participant_register
from campaigns.petitions.models import Signature
from campaigns.petitions.services import signature_confirm, signature_token
from cms.public_json import HEADER
from tests.campaigns.petition_fixtures import *  # noqa: F403
from tests.campaigns.petition_fixtures import sign
from tests.campaigns.test_marches_fixtures import live_march, second_target  # noqa: F401


def confirm_all() -> None:
    for signature in Signature.objects.filter(status=Signature.Status.PENDING):
        token = signature_token(
            signature_id=signature.pk, email_canonical=signature.email_canonical, created_at=signature.created_at
        )
        signature_confirm(signature_id=signature.pk, token=token)


def count_url(petition) -> str:
    return f"/act/petitions/{petition.pk}/count.json"


def test_the_second_read_is_a_hit_with_the_same_body_and_headers_and_no_query(client, petition, fold):
    sign(petition, 1)
    confirm_all()
    fold()
    first = client.get(count_url(petition))
    assert first.status_code == 200 and first[HEADER] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = client.get(count_url(petition))
    assert len(queries) == 0
    assert second[HEADER] == "hit"
    assert second.content == first.content and second.json()["total"] == 1
    for header in ("Content-Type", "Cache-Control", "Access-Control-Allow-Origin", "Content-Security-Policy",
                   "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"):  # fmt: skip
        assert second[header] == first[header], header


def test_a_fold_makes_the_stored_answer_stale_at_once(client, petition, fold):
    assert client.get(count_url(petition)).json()["total"] == 0
    assert client.get(count_url(petition))[HEADER] == "hit"
    for i in range(3):
        sign(petition, i)
    confirm_all()
    fold()
    fresh = client.get(count_url(petition))
    assert fresh[HEADER] == "miss" and fresh.json()["total"] == 3
    regions = client.get(f"/act/petitions/{petition.pk}/regions.json")
    assert regions.json()["total"] == 3
    api = client.get(f"/api/v1/petitions/{petition.pk}/counts/")
    assert api.json()["total"] == 3
    assert client.get(f"/api/v1/petitions/{petition.pk}/counts/")[HEADER] == "hit"


def test_unpublishing_is_seen_at_once(client, petition):
    assert client.get(count_url(petition)).status_code == 200
    assert client.get(count_url(petition))[HEADER] == "hit"
    petition.unpublish()
    assert client.get(count_url(petition)).status_code == 404


def test_only_plain_successful_gets_of_marked_views_are_stored(client, petition, settings):
    assert HEADER not in client.get(count_url(petition) + "?callback=x")  # a query string is never shared
    assert HEADER not in client.get("/act/petitions/999999/count.json")  # a 404 is not stored
    assert HEADER not in client.get("/act/petitions/999999/count.json")
    assert HEADER not in client.get(petition.url)  # pages have their own cache; unmarked views are not stored
    settings.PUBLIC_JSON_CACHE_SECONDS = 0
    assert HEADER not in client.get(count_url(petition))
    assert HEADER not in client.get(count_url(petition))


def test_a_host_we_do_not_serve_is_refused_even_when_an_answer_is_stored(client, petition, settings):
    client.get(count_url(petition))
    assert client.get(count_url(petition))[HEADER] == "hit"
    assert client.get(count_url(petition), HTTP_HOST="evil.example").status_code == 400


def test_the_march_status_is_a_hit_and_follows_the_fold(client, live_march, target):
    url = f"/api/v1/marches/{live_march.pk}/status/"
    assert client.get(url).json()["totals"]["calls"] == 0
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url)[HEADER] == "hit"
    assert len(queries) == 0
    person = participant_register(march=live_march, name="Huda", email="h@example.org", region="Amman",
                                  language="en", slot="letter").participant  # fmt: skip
    call_report(participant=person, target_id=target.pk, outcome="reached")
    counters_fold(march_id=live_march.pk)
    fresh = client.get(url)
    assert fresh[HEADER] == "miss"
    assert fresh.json()["totals"] == {"registered": 1, "calls": 1, "letters": 0}


@pytest.mark.parametrize("method", ["post", "head"])
def test_other_methods_pass_through(client, petition, method):
    client.get(count_url(petition))
    response = getattr(client, method)(count_url(petition))
    assert HEADER not in response
