"""Who is signed in as a supporter: the small API the rest of the project uses.

A supporter session is separate from Django's staff authentication. It is one
signed, timestamped value in the session (``SESSION_KEY``) holding the
supporter's id and their session generation. It is good for
``SUPPORTER_SESSION_SECONDS`` and dies at once when the supporter signs out
everywhere (the generation is bumped).

- ``current_supporter(request) -> Supporter | None``
- ``supporter_required`` (view decorator: sends to the sign-in page with a safe ``next``)
- ``supporter_sign_in(request, supporter)`` / ``supporter_sign_out(request)``
- ``safe_next_path(request, value) -> str`` and ``sign_in_url(next_path) -> str``
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from supporters.models import Supporter

SESSION_KEY = "supporter_auth"
_SALT = "supporters.session"
_CACHE_ATTR = "_current_supporter"
_UNSET = object()


def supporter_sign_in(request: HttpRequest, supporter: Supporter) -> None:
    """Start a supporter session in this browser (a fresh session key, against fixation)."""
    request.session.cycle_key()
    request.session[SESSION_KEY] = signing.dumps({"id": supporter.pk, "g": supporter.session_generation}, salt=_SALT)
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        # A staff member's admin session in the same browser keeps its own lifetime.
        request.session.set_expiry(settings.SUPPORTER_SESSION_SECONDS)
    setattr(request, _CACHE_ATTR, supporter)


def supporter_sign_out(request: HttpRequest) -> None:
    """End the supporter session in this browser (a staff session in it is left alone)."""
    if SESSION_KEY in request.session:
        del request.session[SESSION_KEY]
        request.session.cycle_key()
    setattr(request, _CACHE_ATTR, None)


def current_supporter(request: HttpRequest) -> Supporter | None:
    """The supporter signed in on this request, or None (expired, signed out everywhere, or never signed in)."""
    cached = getattr(request, _CACHE_ATTR, _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    supporter = None
    session = getattr(request, "session", None)
    value = session.get(SESSION_KEY) if session is not None else None
    if value:
        try:
            data = signing.loads(value, salt=_SALT, max_age=settings.SUPPORTER_SESSION_SECONDS)
            found = Supporter.objects.filter(pk=int(data["id"]), email_verified_at__isnull=False).first()
            if found is not None and found.session_generation == int(data["g"]):
                supporter = found
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            supporter = None
        if supporter is None:
            del session[SESSION_KEY]
    setattr(request, _CACHE_ATTR, supporter)
    return supporter


def safe_next_path(request: HttpRequest, value: str | None) -> str:
    """``value`` if it is a path on this site, else "" (never another host, scheme or a protocol-relative URL)."""
    value = (value or "").strip()
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith(("//", "/\\")):
        return ""
    if any(ch in value for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in value):
        return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return ""
    if not url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=False):
        return ""
    return value


def sign_in_url(next_path: str = "") -> str:
    """The sign-in page (in the current language), coming back to ``next_path`` afterwards."""
    url = reverse("supporters:sign_in")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def supporter_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let the view run only for a signed-in supporter; others go to sign in and come back here."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if current_supporter(request) is None:
            here = request.get_full_path() if request.method == "GET" else request.path
            return HttpResponseRedirect(sign_in_url(safe_next_path(request, here)))
        return view(request, *args, **kwargs)

    return wrapper
