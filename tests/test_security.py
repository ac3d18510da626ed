"""The security baseline: a strict Content Security Policy, framing rules and the admin login limit."""

from __future__ import annotations

import pytest


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("path", ["/", "/ar/", "/about/", "/search/?q=x"])
def test_public_pages_have_a_strict_policy(client, site_tree, path):
    response = client.get(path)
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_embeds_may_only_frame_privacy_enhanced_players(client, site_tree):
    frames = directives(client.get("/")["Content-Security-Policy"])["frame-src"]
    assert frames == ["'self'", "https://www.youtube-nocookie.com", "https://player.vimeo.com"]


def test_admin_policy_allows_what_wagtail_needs_and_no_more(staff_client, site_tree):
    response = staff_client.get("/admin/")
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_admin_preview_can_be_framed_by_the_admin(staff_client, site_tree):
    response = staff_client.get(f"/admin/pages/{site_tree.about.pk}/edit/preview/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def login(client, username="editor", password="wrong password"):
    return client.post("/admin/login/", {"username": username, "password": password})


def test_admin_login_works(client, staff_user, settings):
    response = login(client, password="correct horse battery staple")
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_admin_login_is_rate_limited_per_address(client, db, settings):
    settings.ADMIN_LOGIN_RATE = "5/m"
    for attempt in range(5):
        response = login(client, username=f"guess{attempt}")
        assert response.status_code == 200, attempt
    blocked = login(client, username="another-guess")
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "60"
    assert "Too many attempts" in blocked.content.decode()


def test_admin_login_is_rate_limited_per_username(client, staff_user, settings):
    settings.ADMIN_LOGIN_RATE = "5/m"
    for attempt in range(5):
        client.post("/admin/login/", {"username": "editor", "password": "nope"}, REMOTE_ADDR=f"10.0.0.{attempt}")
    # Even the right password from a new address is refused until the window passes.
    blocked = client.post(
        "/admin/login/", {"username": "editor", "password": "correct horse battery staple"}, REMOTE_ADDR="10.0.1.1"
    )
    assert blocked.status_code == 429


def test_the_policy_follows_the_settings_when_they_change(client, site_tree, settings):
    """The header a public page gets is built once per settings object, so a change shows at once."""
    first = client.get("/about/")["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'", "https:"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    response = client.get("/about/")
    assert response["Content-Security-Policy"] != first
    assert directives(response["Content-Security-Policy"])["img-src"] == ["'self'", "https:"]
    assert directives(response["Content-Security-Policy-Report-Only"])["default-src"] == ["'none'"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'self'"]},
        "EXCLUDE_URL_PREFIXES": ["/about/"],
    }
    assert "Content-Security-Policy" not in client.get("/about/")
