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
from cms import public_json
from cms.public_json import HEADER
from tests.campaigns.petition_fixtures import *  # noqa: F403
from tests.campaigns.petition_fixtures import sign
from tests.campaigns.test_marches_fixtures import live_march, second_target  # noqa: F401


@pytest.fixture(autouse=True)
def _a_new_process():
    """Each test starts as a freshly started worker: it has seen no public JSON address yet."""
    public_json._known.clear()
    yield
    public_json._known.clear()


def warm(client, url: str) -> None:
    """The first answer for an address only teaches the process that it is shareable; the second is stored."""
    assert HEADER not in client.get(url)
    assert client.get(url)[HEADER] == "miss"


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
    learnt = client.get(count_url(petition))
    assert learnt.status_code == 200 and HEADER not in learnt  # this process sees the address for the first time
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
    warm(client, count_url(petition))
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
    warm(client, f"/api/v1/petitions/{petition.pk}/counts/")
    api = client.get(f"/api/v1/petitions/{petition.pk}/counts/")
    assert api.json()["total"] == 3
    assert client.get(f"/api/v1/petitions/{petition.pk}/counts/")[HEADER] == "hit"


def test_unpublishing_is_seen_at_once(client, petition):
    warm(client, count_url(petition))
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
    assert HEADER not in client.get(count_url(petition))


def test_a_host_we_do_not_serve_is_refused_even_when_an_answer_is_stored(client, petition, settings):
    warm(client, count_url(petition))
    assert client.get(count_url(petition))[HEADER] == "hit"
    assert client.get(count_url(petition), HTTP_HOST="evil.example").status_code == 400


def test_the_march_status_is_a_hit_and_follows_the_fold(client, live_march, target):
    url = f"/api/v1/marches/{live_march.pk}/status/"
    warm(client, url)
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
    warm(client, count_url(petition))
    response = getattr(client, method)(count_url(petition))
    assert HEADER not in response


def test_addresses_the_process_has_not_seen_answer_cost_no_cache_lookup(client, petition, site_tree):
    """Pages, forms and unknown addresses go straight through: only a marked 200 teaches an address."""
    client.get("/act/petitions/999999/count.json")  # a 404 teaches nothing
    client.get(site_tree.home.url)
    assert public_json._known == set()
    client.get(count_url(petition))
    assert len(public_json._known) == 1
