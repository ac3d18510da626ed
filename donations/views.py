"""The donor's path: form, (upsell), payment, (authentication), thanks. Views parse, call a service, render.

Every step after the form is tied to the browser that started the gift (a
signed cookie, donations/gift_cookie.py): its reference alone shows nothing to
anyone else.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from csp.decorators import csp_exempt, csp_update
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from stripe import SignatureVerificationError

from cms.http import client_ip, device_class
from donations.choices import Frequency, GatewayName
from donations.formconfig import ConfigError, DonationFormConfig
from donations.forms import CurrencyForm, DonationForm, SandboxCardForm
from donations.gateways import GatewayError, default_gateway_name, gateway_for
from donations.gateways.events import normalize
from donations.gateways.sandbox import Outcome, SandboxCard, SandboxGateway
from donations.gift_cookie import gift_is_remembered, gift_remember
from donations.models import Donation, FeeRule
from donations.money import MINIMUM, AmountError, format_money
from donations.receipts.models import Receipt
from donations.services import (
    Consented,
    GiftRequest,
    donation_make_monthly,
    donation_start,
    event_apply,
    payment_prepare,
    webhook_event_store,
)
from donations.velocity import ip_key, velocity_blocked, velocity_keys

logger = logging.getLogger(__name__)
SEARCH_HOSTS = ("google.", "bing.", "duckduckgo.", "yahoo.", "yandex.", "baidu.", "ecosia.", "qwant.")
SOCIAL_HOSTS = (
    "facebook.", "fb.", "instagram.", "t.co", "twitter.", "x.com", "linkedin.", "lnkd.in", "whatsapp.",
    "telegram.", "t.me", "youtube.", "tiktok.", "reddit.", "threads.", "bsky.",
)  # fmt: skip
MAIL_HOSTS = ("mail.", "outlook.", "webmail.")


def referrer_class(request: HttpRequest) -> str:
    """direct, internal, search, social, email or other: where the donor came from (no full URL kept)."""
    referrer = request.META.get("HTTP_REFERER", "")
    host = (urlsplit(referrer).hostname or "").lower()
    if not host:
        return "direct"
    if host == request.get_host().split(":")[0]:
        return "internal"
    bare = host.removeprefix("www.").removeprefix("m.")
    if bare.startswith(SEARCH_HOSTS):
        return "search"
    if bare.startswith(SOCIAL_HOSTS) or bare in ("t.co", "x.com", "t.me", "lnkd.in"):
        return "social"
    if bare.startswith(MAIL_HOSTS):
        return "email"
    return "other"


def test_mode(gateway: str) -> bool:
    """No real money moves: the sandbox, or Stripe with test keys. Pages say so."""
    return gateway == GatewayName.SANDBOX or (
        gateway == GatewayName.STRIPE and settings.STRIPE_SECRET_KEY.startswith("sk_test_")
    )


# -- The form ----------------------------------------------------------------


def _choice(value: str | None, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


def donation_form_context(
    request: HttpRequest | None,
    config: DonationFormConfig,
    *,
    heading: str = "",
    intro: str = "",
    bound_form: DonationForm | None = None,
) -> dict[str, Any]:
    """What templates/blocks/donate.html needs, for a new form or one with errors."""
    language = get_language() or "en"
    query = request.GET if request is not None else {}
    if bound_form is not None:
        form = bound_form
        currency = _choice(form.data.get("currency"), config.currencies, config.default_currency)
        frequency = _choice(form.data.get("frequency"), config.frequencies, config.default_frequency)
    else:
        currency = _choice(query.get("currency"), config.currencies, config.default_currency)
        frequency = _choice(query.get("frequency"), config.frequencies, config.default_frequency)
        presets = config.amounts(currency, frequency)
        initial = {
            "config_token": config.sign(),
            "attempt_id": uuid.uuid4(),
            "currency": currency,
            "frequency": frequency,
            "amount": str(presets[len(presets) // 2]) if presets else "other",
            "referrer_class": referrer_class(request) if request is not None else "",
            **{
                f"utm_{name}": query.get(f"utm_{name}", "")[:100]
                for name in ("source", "medium", "campaign", "term", "content")
            },
        }
        form = DonationForm(initial=initial, config=config, currency=currency, frequency=frequency, language=language)
    rule = FeeRule.objects.filter(currency=currency).first()
    form.fields["cover_fee"].help_text = _fee_hint(rule, currency, language)
    presets_data = {
        f: [
            {"value": str(a), "label": format_money(a, currency, language, short=True)}
            for a in config.amounts(currency, f)
        ]
        for f in config.frequencies
    }
    return {
        "donation_form": form,
        "donation_config": config,
        "donate_currency": currency,
        "donate_heading": heading,
        "donate_intro": intro,
        "currency_form": CurrencyForm(initial={"currency": currency}, currencies=config.currencies),
        "form_action": reverse("donations:start"),
        "test_mode": test_mode(default_gateway_name()),
        "fee_rule": rule,
        "donate_presets_json": json.dumps(presets_data),
        "minimum_amount": format_money(MINIMUM[currency], currency, language),
    }


def _fee_hint(rule: FeeRule | None, currency: str, language: str) -> str:
    if rule is None:
        return ""
    return _("%(percent)s%% + %(fixed)s, so we receive your whole gift") % {
        "percent": f"{rule.percent_bp / 100:g}",
        "fixed": format_money(rule.fixed_minor, currency, language),
    }


def _donation_for(request: HttpRequest, reference: uuid.UUID) -> Donation:
    if not gift_is_remembered(request, reference):
        raise Http404
    try:
        return Donation.objects.select_related("supporter", "recurring_gift", "fund").get(reference=reference)
    except Donation.DoesNotExist:
        raise Http404 from None


def donation_post(request: HttpRequest, config: DonationFormConfig) -> tuple[HttpResponse | None, DonationForm]:
    """Handle a submitted form: a redirect to the next step, or None and the form with its errors."""
    currency = _choice(request.POST.get("currency"), config.currencies, config.default_currency)
    frequency = _choice(request.POST.get("frequency"), config.frequencies, config.default_frequency)
    form = DonationForm(request.POST, config=config, currency=currency, frequency=frequency, language=get_language())
    ip = client_ip(request)
    if velocity_blocked(velocity_keys(ip=ip, email=request.POST.get("email", ""))):
        form.is_valid()
        form.add_error(None, _("Too many payments from this connection or email failed recently, so we have paused "
                               "card payments from it for 24 hours. Please contact us if you need help."))  # fmt: skip
        return None, form
    if settings.DONATION_CAPTCHA_VERIFIER and not import_string(settings.DONATION_CAPTCHA_VERIFIER)(request):
        form.is_valid()
        form.add_error(None, _("Please complete the check that you are a person."))
        return None, form
    if not form.is_valid():
        return None, form
    data = form.cleaned_data
    gift = GiftRequest(
        attempt_id=data["attempt_id"],
        amount_minor=data["amount_minor"],
        currency=currency,
        frequency=data["frequency"],
        name=data["name"],
        email=data["email"],
        language=get_language() or "en",
        cover_fee=data["cover_fee"],
        anonymous=data["anonymous"],
        message=data["message"],
        tribute=data.get("tribute") or "",
        tribute_name=data.get("tribute_name") or "",
        tribute_notify_name=data.get("tribute_notify_name") or "",
        tribute_notify_email=data.get("tribute_notify_email") or "",
        address={
            name: str(data.get(f"address_{name}") or "") for name in ("line1", "line2", "city", "postcode", "country")
        },
        email_updates=Consented(str(form.fields["email_updates"].label), "donation-updates-v1")
        if data["email_updates"]
        else None,
        survey=form.survey_answers(),
        survey_consent=Consented(str(form.fields["survey_consent"].label), "donation-survey-v1")
        if form.survey_answers()
        else None,
        fund_id=config.fund_id,
        designation_page_id=config.designation_page_id,
        surface=config.surface,
        source_page_id=config.source_page_id,
        utm={name: data.get(f"utm_{name}") or "" for name in ("source", "medium", "campaign", "term", "content")},
        referrer_class=(data.get("referrer_class") or "")[:16],
        device_class=device_class(request),
        velocity_ip_key=ip_key(ip),
    )
    upsell = config.monthly_upsell and gift.frequency == Frequency.ONE_TIME
    try:
        # Straight to payment: the gateway's payment is made with the gift, in one transaction.
        donation, created = donation_start(gift=gift, prepare_payment=not upsell)
    except AmountError as exc:
        form.add_error("other_amount", str(exc))
        return None, form
    except GatewayError as exc:
        logger.warning("payment could not start for a new gift: %s", exc.message)
        form.add_error(None, _("Our payment processor did not answer as expected. Nothing was charged."))
        return None, form
    if not created and donation.paid:
        messages.info(request, _("You already made this gift; it was not charged again."))
        next_step = redirect("donations:thanks", reference=donation.reference)
    elif created and upsell:
        request.session[f"upsell:{donation.reference}"] = config.monthly_suggestion(currency, data["amount_minor"])
        next_step = redirect("donations:upsell", reference=donation.reference)
    else:
        next_step = redirect("donations:pay", reference=donation.reference)
    return gift_remember(request, next_step, donation.reference), form


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Every donation form posts here, with its configuration signed (the page's or the block's)."""
    try:
        config = DonationFormConfig.unsign(request.POST.get("config_token", ""))
    except ConfigError as exc:
        return _form_refused(request, exc)
    response, form = donation_post(request, config)
    if response is not None:
        return response
    return render(request, "donations/form_page.html", donation_form_context(request, config, bound_form=form))


def _form_refused(request: HttpRequest, exc: ConfigError) -> HttpResponse:
    expired = str(exc) == "expired"
    logger.warning("donation form refused: %s token", exc)
    return render(request, "donations/form_refused.html", {"expired": expired}, status=400)


# -- After the form ---------------------------------------------------------------


def upsell(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """Before paying once, the chance to give monthly instead (a plain form: no JavaScript needed)."""
    donation = _donation_for(request, reference)
    if donation.payment_intent_id or donation.frequency == Frequency.MONTHLY or donation.paid:
        return redirect("donations:pay", reference=reference)
    gift_minor = donation.amount_minor - donation.fee_covered_minor
    suggestion = request.session.get(f"upsell:{reference}")
    if suggestion is None:
        return redirect("donations:pay", reference=reference)
    if request.method == "POST":
        if request.POST.get("choice") == "monthly":
            try:
                donation_make_monthly(donation=donation, amount_minor=suggestion)
            except AmountError as exc:
                messages.error(request, str(exc))
        return redirect("donations:pay", reference=reference)
    return render(
        request,
        "donations/upsell.html",
        {
            "donation": donation,
            "once": format_money(gift_minor, donation.currency),
            "monthly": format_money(suggestion, donation.currency),
        },
    )


def _summary(donation: Donation) -> dict[str, Any]:
    return {
        "donation": donation,
        "amount": format_money(donation.amount_minor, donation.currency),
        "fee_covered": format_money(donation.fee_covered_minor, donation.currency)
        if donation.fee_covered_minor
        else "",
        "designation": donation.designation_label,
        "test_mode": test_mode(donation.gateway),
    }


@csp_update({"script-src": ["https://js.stripe.com"], "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
             "connect-src": ["https://api.stripe.com"]})  # fmt: skip
def pay(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    donation = _donation_for(request, reference)
    if donation.paid:
        return redirect("donations:thanks", reference=reference)
    if velocity_blocked(velocity_keys(ip=client_ip(request), email=donation.supporter.email)):
        return render(request, "donations/blocked.html", _summary(donation), status=429)
    try:
        donation = payment_prepare(donation=donation)
    except GatewayError as exc:
        logger.warning("payment could not start for %s: %s", donation.reference, exc.message)
        return render(request, "donations/gateway_error.html", {**_summary(donation), "error": exc.message}, status=502)
    if donation.gateway == GatewayName.SANDBOX:
        return _pay_sandbox(request, donation)
    return render(
        request,
        "donations/pay_stripe.html",
        {
            **_summary(donation),
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "return_url": request.build_absolute_uri(reverse("donations:stripe_return", args=[reference])),
        },
    )


def _pay_sandbox(request: HttpRequest, donation: Donation) -> HttpResponse:
    form = SandboxCardForm(request.POST or None)
    payment_error = ""
    if request.method == "POST" and form.is_valid():
        expiry = form.cleaned_data["expiry"]
        card: SandboxCard = replace(form.cleaned_data["number"], exp_month=expiry.month, exp_year=expiry.year)
        request.session[f"sandbox-card:{donation.reference}"] = {
            "brand": card.brand,
            "last4": card.last4,
            "outcome": card.outcome.value,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
        }
        outcome = SandboxGateway().pay(donation, card)
        if outcome == Outcome.AUTHENTICATE:
            return redirect("donations:authenticate", reference=donation.reference)
        donation.refresh_from_db()
        if outcome != Outcome.DECLINE:
            return redirect("donations:thanks", reference=donation.reference)
        form = SandboxCardForm()
        payment_error = _("Your card was declined. Try another card, or contact your bank.")
    return render(
        request, "donations/pay_sandbox.html", {**_summary(donation), "card_form": form, "payment_error": payment_error}
    )


def authenticate(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """The sandbox's stand-in for the bank's 3-D Secure page."""
    donation = _donation_for(request, reference)
    card_data = request.session.get(f"sandbox-card:{reference}")
    if donation.gateway != GatewayName.SANDBOX or card_data is None:
        raise Http404
    if donation.paid:
        return redirect("donations:thanks", reference=reference)
    if request.method == "POST":
        card = SandboxCard(
            outcome=Outcome(card_data["outcome"]),
            brand=card_data["brand"],
            last4=card_data["last4"],
            exp_month=card_data.get("exp_month"),
            exp_year=card_data.get("exp_year"),
        )
        passed = request.POST.get("result") == "pass"
        SandboxGateway().authenticate(donation, passed=passed, card=card)
        if passed:
            return redirect("donations:thanks", reference=reference)
        messages.error(
            request, _("Authentication failed, so your card was not charged. Try again or use another card.")
        )
        return redirect("donations:pay", reference=reference)
    return render(request, "donations/authenticate.html", _summary(donation))


def stripe_return(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """Where Stripe sends the donor after the payment step: read the PaymentIntent now, webhooks follow."""
    donation = _donation_for(request, reference)
    if donation.gateway == GatewayName.STRIPE and donation.payment_intent_id and not donation.paid:
        try:
            intent = gateway_for(GatewayName.STRIPE).retrieve_payment(donation.payment_intent_id)
        except GatewayError as exc:
            logger.warning("could not read payment %s: %s", donation.payment_intent_id, exc.message)
        else:
            event_type = {
                "succeeded": "payment_intent.succeeded",
                "processing": "payment_intent.processing",
                "requires_payment_method": "payment_intent.payment_failed",
                "requires_action": "payment_intent.requires_action",
            }.get(intent.get("status", ""))
            if event_type:
                payload = {"id": f"sync:{intent['id']}:{intent['status']}", "type": event_type,
                           "created": intent.get("created") or 0, "data": {"object": intent}}  # fmt: skip
                for fact in normalize(payload, gateway=GatewayName.STRIPE):
                    event_apply(fact)
    return redirect("donations:thanks", reference=reference)


def thanks(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    donation = _donation_for(request, reference)
    receipt = Receipt.objects.filter(donation=donation).first() if donation.paid else None
    return render(request, "donations/thanks.html", {**_summary(donation), "receipt": receipt})


# -- Webhooks ----------------------------------------------------------------------


@csrf_exempt
@csp_exempt()  # a machine endpoint: its answers are never rendered, so no policy to build per event
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verify the signature on the raw body, store the event once, answer at once; a task does the rest."""
    from donations.gateways.stripe_gateway import webhook_verify

    if not settings.STRIPE_WEBHOOK_SECRET:
        logger.warning("Stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set")
        return HttpResponseBadRequest("not configured")
    try:
        webhook_verify(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
        payload = json.loads(request.body)
        if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
            raise ValueError("not an event")
    except SignatureVerificationError as exc:
        logger.warning("Stripe webhook refused: bad or missing signature (%s)", exc)
        return HttpResponseBadRequest("bad signature")
    except ValueError as exc:
        logger.warning("Stripe webhook refused: body is not an event (%s)", exc)
        return HttpResponseBadRequest("bad payload")
    webhook_event_store(gateway=GatewayName.STRIPE, payload=payload)
    return HttpResponse(status=200)
