"""/healthz: what a load balancer or container probe sees."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cms.services import heartbeat_record
from config.celery import app as celery_app


def test_healthy_site_reports_each_dependency(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    report = response.json()
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in report["checks"].values())
    assert report["checks"]["broker"]["mode"] == "eager"


def test_probe_works_with_any_host_header_and_without_https(client, db, settings):
    settings.ALLOWED_HOSTS = ["donate.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    # Everything else is still refused for an unknown host.
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400


def test_unreachable_cache_makes_the_site_unhealthy(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "error"
    assert report["checks"]["cache"]["ok"] is False
    assert report["checks"]["database"]["ok"] is True
    # The error names a class, never an address or a password.
    assert "127.0.0.1" not in response.content.decode()


@pytest.fixture
def broker(request):
    """Point Celery at a broker URL for one test, as a worker-backed deployment would be."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.broker_url

    def use(url: str) -> None:
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = url

    yield use
    celery_app.conf.task_always_eager, celery_app.conf.broker_url = saved


def test_unreachable_broker_makes_the_site_unhealthy(client, db, broker):
    broker("redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_worker_heartbeat_is_reported_when_a_broker_is_used(client, db, broker):
    broker("memory://")
    report = client.get("/healthz").json()
    assert report["checks"]["broker"] == {**report["checks"]["broker"], "ok": True, "mode": "broker"}
    assert report["worker"]["stale"] is True
    heartbeat_record(name="celery", hostname="worker-1", at=timezone.now())
    worker = client.get("/healthz").json()["worker"]
    assert worker["stale"] is False
    assert worker["last_seen_seconds"] <= 1


def test_only_reads_are_allowed(client, db):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
