"""Baseline views that give each benchmark its framework floor.

They pass through the whole middleware stack, like every page, but do no
work of their own: no database, no cache, no template. A benchmark reports
its endpoint's throughput as a ratio of one of these, measured against the
same server in the same run, so the ratio says what our code costs on top of
Django itself, whatever the machine.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

BARE_BODY = b"ok\n"


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
