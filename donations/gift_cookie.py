"""Which gifts this browser started: a signed cookie, read by every step after the form.

A gift's reference alone shows nothing to anyone: its payment page, thank-you
page and receipt download open only in the browser that started it. The
browser proves that with this cookie, signed with the site's secret (so it
cannot be forged or edited) and timestamped (so it expires like a session).
Starting a gift therefore writes no session row: the form post costs one
transaction for the gift and nothing else.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE = "gifts"
SALT = "donations.gift-cookie"
LIMIT = 20


def remembered_gifts(request: HttpRequest) -> list[str]:
    """The references of the gifts this browser started, oldest first (none if the cookie is missing or bad)."""
    value = request.get_signed_cookie(COOKIE, default="", salt=SALT, max_age=settings.SESSION_COOKIE_AGE)
    references = []
    for item in value.split(","):
        try:
            references.append(str(uuid.UUID(item)))
        except ValueError:
            continue
    return references


def gift_is_remembered(request: HttpRequest, reference: uuid.UUID | str) -> bool:
    return str(reference) in remembered_gifts(request)


def gift_remember(request: HttpRequest, response: HttpResponse, reference: uuid.UUID | str) -> HttpResponse:
    """Add a gift to this browser's cookie (keeping the newest ``LIMIT``) on the response that answers it."""
    references = [ref for ref in remembered_gifts(request) if ref != str(reference)]
    response.set_signed_cookie(
        COOKIE,
        ",".join([*references, str(reference)][-LIMIT:]),
        salt=SALT,
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
