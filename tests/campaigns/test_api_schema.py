"""The advocacy API publishes an OpenAPI schema, and it stays valid."""

from __future__ import annotations

import json

import yaml
from drf_spectacular.validation import validate_schema


def test_the_openapi_schema_is_served_and_valid(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = (
        json.loads(response.content) if response.content.lstrip().startswith(b"{") else yaml.safe_load(response.content)
    )
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Advocacy API"
    for path in schema["paths"]:
        assert path.startswith("/api/v1/"), path
