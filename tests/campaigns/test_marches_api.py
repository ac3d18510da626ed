"""GET /api/v1/marches/<id>/status/: window, state, counters by region and target, slots left; in the schema."""
# ruff: noqa: F811 (the march fixtures are imported from test_marches_fixtures and named as arguments)

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from campaigns.marches.services import call_report, counters_fold, participant_register
from tests.campaigns.test_marches_fixtures import future_march, live_march, second_target  # noqa: F401


def test_the_status_of_a_live_march(client, live_march, target, second_target):
    person = participant_register(march=live_march, name="Huda", email="h@example.org", region="Amman",
                                  language="en", slot="letter").participant  # fmt: skip
    call_report(participant=person, target_id=target.pk, outcome="reached")
    counters_fold(march_id=live_march.pk)
    response = client.get(f"/api/v1/marches/{live_march.pk}/status/")
    assert response.status_code == 200
    data = response.json()
    assert data["state"] == "live" and data["title"] == "Call for clean water"
    assert data["window"]["time_zone"] == "UTC"
    assert data["window"]["start"].startswith(live_march.window_start.strftime("%Y-%m-%dT%H:%M"))
    assert data["totals"] == {"registered": 1, "calls": 1, "letters": 0}
    assert data["by_region"] == [{"region": "Amman", "registered": 1, "calls": 1, "letters": 0}]
    rana = next(row for row in data["by_target"] if row["id"] == target.pk)
    assert (rana["name"], rana["name_ar"], rana["calls"]) == ("Rana Khalil", "رنا خليل", 1)
    assert next(row for row in data["by_target"] if row["id"] == second_target.pk)["calls"] == 0
    assert data["slots_left"] == 12 * 2 * 5
    assert "email" not in json.dumps(data)  # no address of anyone


def test_upcoming_and_ended_states(client, future_march, live_march):
    assert client.get(f"/api/v1/marches/{future_march.pk}/status/").json()["state"] == "upcoming"
    live_march.window_date = (timezone.now() - timedelta(days=2)).date()
    live_march.save_revision().publish()
    assert client.get(f"/api/v1/marches/{live_march.pk}/status/").json()["state"] == "ended"


def test_unknown_or_unpublished_marches_are_not_found(client, live_march):
    assert client.get("/api/v1/marches/999999/status/").status_code == 404
    assert client.get(f"/api/v1/marches/{live_march.get_parent().pk}/status/").status_code == 404  # not a march
    live_march.unpublish()
    assert client.get(f"/api/v1/marches/{live_march.pk}/status/").status_code == 404


def test_the_endpoint_is_in_the_openapi_schema(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/marches/{id}/status/"]["get"]
    assert operation["operationId"] == "march_status"
    assert "MarchStatus" in schema["components"]["schemas"]
    assert set(schema["components"]["schemas"]["MarchStatus"]["properties"]) >= {
        "window", "state", "totals", "by_region", "by_target", "slots_left"
    }  # fmt: skip
