"""The supporter's privacy page: download my data, erase me, and the consents given (withdrawable)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from supporters import privacy
from supporters.auth import current_supporter, supporter_required, supporter_sign_out
from supporters.models import Consent, PrivacyRequest


def _private(response: HttpResponse) -> HttpResponse:
    # A token is in these pages' addresses: never pass it on, never keep a copy.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def _supporter_key(group: str, request: HttpRequest) -> str:
    supporter = current_supporter(request)
    return f"supporter:{supporter.pk}" if supporter else "anonymous"


# Each request sends an email: a few an hour per supporter is plenty.
REQUEST_RATE = "10/h"


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


@never_cache
@supporter_required
def privacy_index(request: HttpRequest) -> HttpResponse:
    supporter = current_supporter(request)
    return render(
        request,
        "supporters/privacy/index.html",
        {
            "supporter": supporter,
            "current": privacy.consents_current(supporter),
            "consents": Consent.objects.filter(supporter=supporter).order_by("-created_at", "-id"),
            "requests": PrivacyRequest.objects.filter(supporter=supporter).order_by("-requested_at")[:20],
            "days": settings.PRIVACY_EXPORT_DAYS,
        },
    )


@never_cache
@require_POST
@supporter_required
@ratelimit(key=_supporter_key, rate=REQUEST_RATE, method="POST", block=True)
def privacy_export_request(request: HttpRequest) -> HttpResponse:
    _request, created = privacy.export_request(supporter=current_supporter(request), language=_language())
    if created:
        messages.success(
            request, _("We are preparing your data. We will email you a link to download it, usually within minutes.")
        )
    else:
        messages.info(request, _("Your data is already being prepared. We will email you a link."))
    return redirect("supporters:privacy")


@never_cache
@supporter_required
def privacy_export_download(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: the file, for the supporter it was made for only; after the set days, "expired"."""
    export, expired = privacy.export_for_token(token=token, supporter=current_supporter(request))
    if export is None:
        raise Http404
    if expired:
        return _private(
            render(
                request, "supporters/privacy/export_expired.html", {"days": settings.PRIVACY_EXPORT_DAYS}, status=410
            )
        )
    response = FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=f"my-data-{export.completed_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    return _private(response)


@never_cache
@require_http_methods(["GET", "POST"])
@supporter_required
@ratelimit(key=_supporter_key, rate=REQUEST_RATE, method="POST", block=True)
def privacy_erase(request: HttpRequest) -> HttpResponse:
    """What erasure removes and keeps, and a button (POST) that emails the confirmation link."""
    supporter = current_supporter(request)
    blockers = privacy.erasure_blockers(supporter)
    if request.method == "POST" and not blockers:
        privacy.erasure_request(supporter=supporter, language=_language())
        return render(
            request,
            "supporters/privacy/erase_sent.html",
            {"hours": settings.PRIVACY_ERASURE_CONFIRM_HOURS, "email": supporter.email},
        )
    return render(
        request,
        "supporters/privacy/erase.html",
        {"supporter": supporter, "blockers": blockers, "kept": privacy.erasure_kept()},
        status=409 if request.method == "POST" else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate="30/h", method="POST", block=True)
def privacy_erase_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: GET shows the final button (mail scanners use nothing up); POST erases."""
    if request.method == "POST":
        erasure = privacy.erasure_confirm(token=token)
        if erasure is not None:
            signed_in = current_supporter(request)
            if signed_in is not None and signed_in.pk == erasure.supporter_id:
                supporter_sign_out(request)
            return _private(render(request, "supporters/privacy/erase_done.html"))
    elif privacy.erasure_for_token(token=token) is not None:
        return _private(
            render(request, "supporters/privacy/erase_confirm.html", {"token": token, "kept": privacy.erasure_kept()})
        )
    return _private(render(request, "supporters/privacy/erase_invalid.html", status=400))


@never_cache
@require_POST
@supporter_required
def privacy_consent_withdraw(request: HttpRequest, topic: str) -> HttpResponse:
    if topic not in Consent.Topic.values:
        raise Http404
    withdrawal = privacy.consent_withdraw(supporter=current_supporter(request), topic=topic)
    if withdrawal is not None:
        messages.success(
            request, _("You have withdrawn your consent: %(topic)s.") % {"topic": Consent.Topic(topic).label}
        )
    return redirect("supporters:privacy")
