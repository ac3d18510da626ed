"""Sign-in by emailed link, sign-out (here or everywhere) and the account page."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from supporters import signin
from supporters.auth import current_supporter, safe_next_path, supporter_required, supporter_sign_in, supporter_sign_out
from supporters.forms import PreferencesForm, SignInForm
from supporters.portal import portal_sections_render
from supporters.preferences import TOPICS, preferences_current, preferences_set
from supporters.services import email_normalize
from supporters.tasks import sign_in_link_send
from supporters.unsubscribe import unsubscribe_read


def _rate_per_email(group: str, request: HttpRequest) -> str:
    return settings.SUPPORTER_SIGNIN_RATE_PER_EMAIL


def _rate_per_ip(group: str, request: HttpRequest) -> str:
    return settings.SUPPORTER_SIGNIN_RATE_PER_IP


def _email_key(group: str, request: HttpRequest) -> str:
    return email_normalize(request.POST.get("email", ""))[:254]


def _private(response: HttpResponse) -> HttpResponse:
    # The link's token is in this page's address: never pass it to another site, never keep a copy.
    # (Not "no-referrer": browsers then send "Origin: null" with the button's POST, which CSRF checks refuse.)
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_rate_per_ip, method="POST", block=True)
@ratelimit(key=_email_key, rate=_rate_per_email, method="POST", block=True)
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a link. Every valid address gets the same answer, and the same work is done for it."""
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            if not form.cleaned_data["website"]:
                sign_in_link_send.delay_on_commit(
                    form.cleaned_data["email"],
                    get_language() or settings.LANGUAGE_CODE,
                    safe_next_path(request, form.cleaned_data["next"]),
                    str(uuid.uuid4()),
                )
            return redirect("supporters:sign_in_sent")
    else:
        form = SignInForm(initial={"next": safe_next_path(request, request.GET.get("next"))})
    return render(
        request,
        "supporters/sign_in.html",
        {"form": form, "supporter": current_supporter(request)},
        status=400 if form.errors else 200,
    )


@never_cache
def sign_in_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "supporters/sign_in_sent.html", {"minutes": settings.SUPPORTER_SIGNIN_LINK_SECONDS // 60})


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_rate_per_ip, method="POST", block=True)
def sign_in_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (a mail scanner fetching the link uses nothing up); POST signs in, once."""
    if request.method == "POST":
        link = signin.sign_in_link_check(token=token)
        next_path = safe_next_path(request, link.next_path) if link else ""
        supporter = signin.sign_in_link_use(token=token)
        if supporter is not None:
            supporter_sign_in(request, supporter)
            return _private(HttpResponseRedirect(next_path or reverse("supporters:account")))
    elif signin.sign_in_link_check(token=token) is not None:
        return _private(render(request, "supporters/sign_in_confirm.html", {"token": token}))
    # Unknown, tampered with, expired or used: one neutral answer for all.
    return _private(render(request, "supporters/sign_in_invalid.html", status=400))


@never_cache
@require_http_methods(["GET", "POST"])
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        supporter_sign_out(request)
        messages.success(request, _("You are signed out."))
        return redirect("supporters:sign_in")
    return render(request, "supporters/sign_out.html", {"supporter": current_supporter(request)})


@never_cache
@require_POST
@supporter_required
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    signin.supporter_sessions_end(supporter=current_supporter(request))
    supporter_sign_out(request)
    messages.success(request, _("You are signed out on every device, this one included."))
    return redirect("supporters:sign_in")


@never_cache
@supporter_required
def account(request: HttpRequest) -> HttpResponse:
    supporter = current_supporter(request)
    return render(
        request,
        "supporters/account.html",
        {
            "supporter": supporter,
            "session_hours": settings.SUPPORTER_SESSION_SECONDS // 3600,
            "sections": portal_sections_render(request, supporter),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@supporter_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Communication preferences: opt in or out per topic; each change is a new Consent row."""
    supporter = current_supporter(request)
    current = preferences_current(supporter)
    form = PreferencesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        changed = preferences_set(supporter=supporter, choices=form.cleaned_data, source="portal")
        if changed:
            messages.success(request, _("Your choices are saved."))
        else:
            messages.info(request, _("Nothing needed to change."))
        return redirect("supporters:preferences")
    return render(request, "supporters/preferences.html", {"form": form, "supporter": supporter})


@never_cache
@csrf_exempt  # the signed token is the authority; mail providers POST without our cookie (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirm button; POST (that button, or a mail provider's one-click) unsubscribes."""
    found = unsubscribe_read(token)
    if found is None:
        return render(request, "supporters/unsubscribe.html", {"invalid": True}, status=400)
    supporter, topic = found
    label = next(t.label for t in TOPICS if t.key == topic)
    done = request.method == "POST"
    if done:
        preferences_set(supporter=supporter, choices={topic: False}, source="unsubscribe")
    response = render(request, "supporters/unsubscribe.html", {"topic_label": label, "done": done, "token": token})
    response["Referrer-Policy"] = "same-origin"
    return response
