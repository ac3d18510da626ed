"""Petitions: public views (thin: parse, call a service, render).

The sign views are CSRF-exempt on purpose: a signature does nothing until the
emailed link is confirmed, no session is involved, and the embedded widget
posts from inside another site's frame where our cookies are not sent. That
also keeps the petition page free of per-visitor tokens, so it is shared by
the page cache. The confirm button (the step that counts) keeps Django's CSRF
check.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.petitions import selectors
from campaigns.petitions.abuse import SignInfo, petition_sign_info
from campaigns.petitions.forms import SignatureForm, service_data
from campaigns.petitions.intake import signature_accept
from campaigns.petitions.models import PetitionPage, Signature
from campaigns.petitions.services import (
    ConfirmationInvalid,
    SigningRefused,
    signature_confirm,
    signature_token,
    signature_updates_stop,
    updates_stop_token,
)
from cms.http import client_ip
from cms.public_json import public_json


def _live_petition(page_id: int) -> PetitionPage:
    page = PetitionPage.objects.live().public().filter(pk=page_id).first()
    if page is None:
        raise Http404
    return page


def _signable(page_id: int) -> SignInfo:
    """The petition as the sign path sees it, from the cache (no query when warm); 404 if not public."""
    info = petition_sign_info(page_id)
    if info is None or not info.live:
        raise Http404
    return info


def _sign(request: HttpRequest, page_id: int, info: SignInfo, *, source: str) -> tuple[SignatureForm | None, int]:
    """Validate and sign. Returns the form and 0 on success, or the HTTP status of the refusal."""
    if request.POST.get("website", "").strip():  # the honeypot: answered like a success, nothing stored
        return SignatureForm(request.POST, ask_for_comment=info.ask_for_comment), 0
    cleaned = SignatureForm.cleaned_or_none(request.POST, ask_for_comment=info.ask_for_comment)
    if cleaned is None:
        form = SignatureForm(request.POST, ask_for_comment=info.ask_for_comment)
        form.is_valid()
        return form, 400
    try:
        signature_accept(
            petition_id=page_id,
            language=get_language() or "en",
            ip=client_ip(request),
            source=source,
            **service_data(cleaned),
        )
    except SigningRefused as refusal:
        form = SignatureForm(request.POST, ask_for_comment=info.ask_for_comment)
        form.is_valid()
        form.add_error(refusal.field or None, refusal.message)
        return form, 429 if refusal.code == "rate_limited" else 400
    return None, 0


@csrf_exempt
@require_POST
def sign(request: HttpRequest, page_id: int) -> HttpResponse:
    """The form's POST: the sign path. On success, a redirect and nothing else (no session, no message)."""
    form, status = _sign(request, page_id, _signable(page_id), source=Signature.Source.FORM)
    if status == 0:
        return HttpResponseRedirect(_thanks_url(page_id))
    page = _live_petition(page_id)
    context = page.get_context(request)
    context["form"] = form
    return TemplateResponse(request, page.get_template(request), context, status=status)


_thanks_urls: dict[tuple[int, str], str] = {}


def _thanks_url(page_id: int) -> str:
    """The thanks page's address in the current language (routes are fixed while the process runs)."""
    key = (page_id, get_language() or "")
    url = _thanks_urls.get(key)
    if url is None:
        if len(_thanks_urls) > 10_000:
            _thanks_urls.clear()
        url = _thanks_urls[key] = reverse("campaigns:petitions_thanks", kwargs={"page_id": page_id})
    return url


@require_GET
def thanks(request: HttpRequest, page_id: int) -> HttpResponse:
    page = _live_petition(page_id)
    return TemplateResponse(request, "campaigns/petitions/thanks.html", _thanks_context(request, page))


def _thanks_context(request: HttpRequest, page: PetitionPage) -> dict[str, Any]:
    from django.conf import settings

    from campaigns.petitions.share import share_links

    return {
        "page": page,
        "share_links": share_links(page=page, request=request),
        "confirm_days": settings.PETITION_CONFIRM_DAYS,
    }


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, signature_id: int, token: str) -> HttpResponse:
    """GET shows a button and changes nothing (mail scanners prefetch links); POST confirms."""
    signature = Signature.objects.select_related("petition").filter(pk=signature_id).first()
    valid = (
        signature is not None
        and signature_token(
            signature_id=signature.pk, email_canonical=signature.email_canonical, created_at=signature.created_at
        )
        == token
    )
    if not valid:
        context = {"error": _("This confirmation link is not valid. Check that you copied all of it.")}
        return TemplateResponse(request, "campaigns/petitions/confirm.html", context, status=404)
    page = signature.petition.get_translation_or_none(_current_locale()) or signature.petition
    context: dict[str, Any] = {"page": page, "signature_first_name": signature.first_name}
    if request.method == "POST":
        try:
            signature_confirm(signature_id=signature.pk, token=token)
        except ConfirmationInvalid as problem:
            context["error"] = problem.message
            return TemplateResponse(request, "campaigns/petitions/confirm.html", context, status=400)
        context["confirmed"] = True
        context.update(_thanks_context(request, page))
        return TemplateResponse(request, "campaigns/petitions/confirm.html", context)
    context["already_confirmed"] = signature.status == Signature.Status.CONFIRMED
    context["expired"] = signature.status == Signature.Status.EXPIRED
    return TemplateResponse(request, "campaigns/petitions/confirm.html", context)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def updates_stop(request: HttpRequest, signature_id: int, token: str) -> HttpResponse:
    """GET shows a button; POST (ours, or a mail provider's one-click unsubscribe) stops the update emails.

    CSRF-exempt: the token in the link is the authority, and mail providers post without our cookie.
    """
    signature = Signature.objects.select_related("petition").filter(pk=signature_id).first()
    valid = signature is not None and constant_time_compare(
        token, updates_stop_token(signature_id=signature.pk, email_canonical=signature.email_canonical)
    )
    if not valid:
        context = {"error": _("This link is not valid. Check that you copied all of it.")}
        return TemplateResponse(request, "campaigns/petitions/updates_stop.html", context, status=404)
    page = signature.petition.get_translation_or_none(_current_locale()) or signature.petition
    context: dict[str, Any] = {"page": page, "stopped": not signature.updates}
    if request.method == "POST":
        signature_updates_stop(signature_id=signature.pk, token=token)
        context["stopped"] = True
    return TemplateResponse(request, "campaigns/petitions/updates_stop.html", context)


def _current_locale() -> Any:
    from wagtail.models import Locale

    return Locale.objects.filter(language_code=(get_language() or "en")[:2]).first()


def _json(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=5"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@public_json
@require_GET
def count_json(request: HttpRequest, page_id: int) -> JsonResponse:
    """The confirmed count, from the cached counters."""
    info = selectors.petition_sign_summary(page_id=page_id)
    if info is None:
        raise Http404
    return _json(info)


@public_json
@require_GET
def regions_json(request: HttpRequest, page_id: int) -> JsonResponse:
    """Confirmed signatures by country and region, from the tallies (cached)."""
    info = selectors.petition_sign_summary(page_id=page_id)
    if info is None:
        raise Http404
    return _json({"petition": page_id, **selectors.petition_regions(petition_id=info["canonical_id"])})


# -- the embeddable widget -----------------------------------------------------------


def _frameable(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Let the allowed origins (AdvocacySettings) frame this response, and nobody else."""
    origins = selectors.advocacy_settings(request).origins()
    response._csp_replace = {"frame-ancestors": origins or ["'none'"]}  # read by django-csp's middleware
    if origins:
        response.xframe_options_exempt = True
    return response


@require_GET
def embed(request: HttpRequest, page_id: int) -> HttpResponse:
    page = _live_petition(page_id)
    form = SignatureForm(ask_for_comment=False)
    return _frameable(
        request, TemplateResponse(request, "campaigns/petitions/embed.html", _embed_context(request, page, form))
    )


def _embed_context(request: HttpRequest, page: PetitionPage, form: SignatureForm) -> dict[str, Any]:
    context = selectors.petition_public_context(page=page, request=request)
    return {**context, "page": page, "form": form}


@csrf_exempt
@require_POST
def embed_sign(request: HttpRequest, page_id: int) -> HttpResponse:
    form, status = _sign(request, page_id, _signable(page_id), source=Signature.Source.EMBED)
    page = _live_petition(page_id)
    if status == 0:
        context = {**_embed_context(request, page, form), "signed": True}
        return _frameable(request, TemplateResponse(request, "campaigns/petitions/embed.html", context))
    form_context = _embed_context(request, page, form)
    return _frameable(request, TemplateResponse(request, "campaigns/petitions/embed.html", form_context, status=status))
