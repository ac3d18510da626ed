"""/healthz: is the database, the cache and the broker reachable?

Answered by a middleware at the top of the stack, before host validation and
the HTTPS redirect, so container health checks and load balancers can ask
over plain HTTP with any Host header. The answer names each dependency and
its latency and never includes addresses, versions or error text that could
leak configuration.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from cms.selectors import heartbeat_latest
from config.celery import app as celery_app

HEALTH_PATH = "/healthz"
WORKER_STALE_AFTER_SECONDS = 180


def _timed(check: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        extra = check() or {}
        result: dict[str, Any] = {"ok": True, **extra}
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just stored")
    cache.delete(key)


def _broker() -> dict[str, Any]:
    if celery_app.conf.task_always_eager:
        return {"mode": "eager"}
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return {"mode": "broker"}


def _worker() -> dict[str, Any]:
    """When a worker last ran the periodic heartbeat (informational only)."""
    if celery_app.conf.task_always_eager:
        return {"mode": "eager"}
    latest = heartbeat_latest()
    if latest is None:
        return {"last_seen_seconds": None, "stale": True}
    age = (timezone.now() - latest.last_seen).total_seconds()
    return {"last_seen_seconds": round(age), "stale": age > WORKER_STALE_AFTER_SECONDS}


def health_report() -> tuple[bool, dict[str, Any]]:
    checks = {"database": _timed(_database), "cache": _timed(_cache), "broker": _timed(_broker)}
    healthy = all(check["ok"] for check in checks.values())
    report: dict[str, Any] = {"status": "ok" if healthy else "error", "checks": checks}
    if healthy:
        # Needs the database; a worker that is down degrades, it does not fail.
        report["worker"] = _timed(_worker)
    return healthy, report


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/") != HEALTH_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        healthy, report = health_report()
        response = HttpResponse(
            json.dumps(report),
            status=200 if healthy else 503,
            content_type="application/json",
        )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
