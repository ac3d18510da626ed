"""Baseline views that give each benchmark its framework floor.

They pass through the whole middleware stack, like every page, but do as
little work of their own as the baseline allows. A benchmark reports its
endpoint's throughput as a ratio of one of these, measured against the same
server in the same run, so the ratio says what our code costs on top of
Django itself (and, for ``insert``, on top of one database write), whatever
the machine.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

BARE_BODY = b"ok\n"
# Made by the harness's preparation step (bench/dbtools.py), not by a migration: bench has no models.
INSERT_TABLE = "bench_insert"
INSERT_SQL = f"INSERT INTO {INSERT_TABLE} (created_at, payload) VALUES (%s, %s)"  # noqa: S608 - a constant


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    """A tiny plain-text response with no database access (the framework floor).

    Any method is accepted and a request body is read and discarded, so the
    view can also serve as the baseline for POST benchmarks. CSRF checking is
    off for it alone: it changes nothing and is never routed in production.
    """
    if request.method not in ("GET", "HEAD"):
        _ = request.body
    return HttpResponse(BARE_BODY, content_type="text/plain; charset=utf-8")


@csrf_exempt
def insert(request: HttpRequest) -> HttpResponse:
    """One parameterised INSERT of the request body, then the bare view's response (the write floor).

    The baseline for endpoints whose work is a database write: the middleware
    stack, reading the body and one autocommitted INSERT through Django's
    connection, and nothing else (no ORM model, no transaction block, no
    validation). POST only; CSRF checking is off, as for the bare view.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(INSERT_SQL, [created_at, request.body.decode("utf-8", "replace")])
    return HttpResponse(BARE_BODY, content_type="text/plain; charset=utf-8")
