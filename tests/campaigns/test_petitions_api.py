"""The petitions API: details, cached counts and signing by the same rules as the form."""

from __future__ import annotations

import json

from django.core import mail

from campaigns.petitions.models import PetitionPage, Signature
from campaigns.petitions.services import signature_confirm, signature_token
from tests.campaigns.petition_fixtures import *  # noqa: F403
from tests.campaigns.petition_fixtures import mails_drain

BODY = {"name": "Maya Haddad", "email": "maya@example.org", "country": "JO", "city": "Amman", "public": True}


def post(client, page, body, **extra):
    return client.post(
        f"/api/v1/petitions/{page.pk}/signatures/", json.dumps(body), content_type="application/json", **extra
    )


def test_signing_through_the_api_is_confirmed_by_email(client, petition):
    response = post(client, petition, BODY)
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    signature = Signature.objects.get()
    assert signature.source == Signature.Source.API
    assert signature.status == Signature.Status.PENDING
    assert mails_drain() == 1
    assert "/act/petitions/confirm/" in mail.outbox[0].body
    # The same address again: the same answer, still one signature.
    again = post(client, petition, {**BODY, "email": "MAYA@example.org"})
    assert again.status_code == 202 and again.json() == response.json()
    assert Signature.objects.count() == 1


def test_field_errors_are_clear(client, petition):
    response = post(client, petition, {"name": "", "email": "nope", "country": "ZZ", "public": "maybe"})
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"name", "email", "country", "public"}
    assert errors["email"] == ["Enter a valid email address."]
    assert Signature.objects.count() == 0


def test_a_disposable_domain_is_a_field_error(client, petition):
    response = post(client, petition, {**BODY, "email": "x@yopmail.com"})
    assert response.status_code == 400
    assert "throwaway" in response.json()["email"][0]


def test_rate_limited_signing_answers_429(client, petition, settings):
    settings.PETITION_RATE_IP_BURST = "2/60"
    assert post(client, petition, {**BODY, "email": "a@example.org"}).status_code == 202
    assert post(client, petition, {**BODY, "email": "b@example.org"}).status_code == 202
    response = post(client, petition, {**BODY, "email": "c@example.org"})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert response["Retry-After"] == "60"
    assert Signature.objects.count() == 2


def test_a_closed_petition_answers_409(client, petition):
    petition.state = PetitionPage.State.CLOSED
    petition.save_revision().publish()
    response = post(client, petition, BODY)
    assert response.status_code == 409
    assert response.json()["code"] == "closed"


def test_an_unknown_petition_is_404(client, petition):
    assert client.get("/api/v1/petitions/999999/").status_code == 404
    assert post(client, type("P", (), {"pk": 999999})(), BODY).status_code == 404


def test_details_and_counts(client, petition, target, fold):
    post(client, petition, BODY)
    signature = Signature.objects.get()
    token = signature_token(
        signature_id=signature.pk, email_canonical=signature.email_canonical, created_at=signature.created_at
    )
    signature_confirm(signature_id=signature.pk, token=token)
    fold()
    detail = client.get(f"/api/v1/petitions/{petition.pk}/").json()
    assert detail["title"] == "Fix the wells of Mafraq"
    assert detail["state"] == "open"
    assert detail["counts"]["total"] == 1
    assert detail["targets"][0]["name"] == "Rana Khalil"
    assert detail["targets"][0]["email"] == ""  # private address never shown
    assert detail["sign_url"].endswith(f"/api/v1/petitions/{petition.pk}/signatures/")
    counts = client.get(f"/api/v1/petitions/{petition.pk}/counts/").json()
    assert counts["total"] == 1
    assert counts["countries"] == [
        {"country": "JO", "name": "Jordan", "total": 1, "regions": [{"region": "Amman", "total": 1}]}
    ]
    listing = client.get("/api/v1/petitions/").json()
    assert [p["id"] for p in listing] == [petition.pk]


def test_the_schema_describes_the_petition_endpoints(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert "/api/v1/petitions/{page_id}/signatures/" in paths
    sign = paths["/api/v1/petitions/{page_id}/signatures/"]["post"]
    assert {"202", "400", "409", "429"} <= set(sign["responses"])
    assert "/api/v1/petitions/{page_id}/counts/" in paths
