"""The supporter's gift pages: history with receipts and statements, monthly gifts, and the card that pays them.

Every page needs the signed-in supporter (supporters.auth), except the
update-card page opened from a dunning email's signed link. Every lookup is
scoped to that supporter: someone else's gift, receipt or statement is a 404.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from donations.gateways import GatewayError, default_gateway_name, gateway_for
from donations.gateways.sandbox import SandboxGateway
from donations.money import AmountError, format_money
from donations.portal.forms import AmountForm, ConfirmForm, DayForm, PauseForm, PortalSandboxCardForm
from donations.portal.selectors import (
    own_donation,
    own_recurring_gift,
    supporter_donations,
    supporter_recurring_gifts,
    supporter_statements,
)
from donations.portal.tokens import card_update_supporter
from donations.receipts.services import receipt_filename, receipt_pdf_ensure
from donations.services.cards import payment_card_replace, supporter_live_gifts
from donations.services.recurring import (
    ChangeRefused,
    recurring_cancel,
    recurring_change_amount,
    recurring_change_day,
    recurring_pause,
    recurring_resume,
)
from supporters.auth import current_supporter, supporter_required
from supporters.models import Supporter

logger = logging.getLogger(__name__)
STRIPE_CSP = {
    "script-src": ["https://js.stripe.com"],
    "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
    "connect-src": ["https://api.stripe.com"],
}


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


def _pdf(file, filename: str) -> HttpResponse:
    return _private(
        FileResponse(file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf")
    )


@never_cache
@require_GET
@supporter_required
def gifts(request: HttpRequest) -> HttpResponse:
    """Giving history: every gift with its receipt and refund status, monthly gifts, annual statements."""
    supporter = current_supporter(request)
    return render(
        request,
        "donations/portal/gifts.html",
        {
            "supporter": supporter,
            "donations": [_donation_row(d) for d in supporter_donations(supporter)],
            "recurring_gifts": [_recurring_row(g) for g in supporter_recurring_gifts(supporter)],
            "statements": supporter_statements(supporter),
        },
    )


def _donation_row(donation) -> dict[str, Any]:
    receipt = getattr(donation, "receipt", None)
    requests = list(donation.refund_requests.all())
    pending = [r for r in requests if r.status == r.Status.REQUESTED]
    return {
        "donation": donation,
        "amount": format_money(donation.amount_minor, donation.currency),
        "refunded": format_money(donation.amount_refunded_minor, donation.currency)
        if donation.amount_refunded_minor
        else "",
        "refund_pending": bool(pending),
        "receipt": receipt,
    }


def _recurring_row(gift) -> dict[str, Any]:
    return {"gift": gift, "amount": format_money(gift.amount_minor, gift.currency)}


@never_cache
@require_GET
@supporter_required
def receipt_pdf(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """The receipt of one of the supporter's own gifts."""
    donation = own_donation(current_supporter(request), reference)
    receipt = getattr(donation, "receipt", None)
    if receipt is None:
        raise Http404
    receipt = receipt_pdf_ensure(receipt)
    return _pdf(receipt.pdf, receipt_filename(receipt))


@never_cache
@require_GET
@supporter_required
def statement_pdf(request: HttpRequest, year: int) -> HttpResponse:
    statement = supporter_statements(current_supporter(request)).filter(fiscal_year=year).first()
    if statement is None:
        raise Http404
    return _pdf(statement.pdf, f"statement-{year}.pdf")


# -- Monthly gifts -------------------------------------------------------------------------------


def _manage_context(gift, **forms: Any) -> dict[str, Any]:
    return {
        "gift": gift,
        "amount": format_money(gift.amount_minor, gift.currency),
        "amount_form": forms.get("amount_form") or AmountForm(currency=gift.currency),
        "day_form": forms.get("day_form") or DayForm(initial={"day": gift.day_of_month or 1}),
        "pause_form": forms.get("pause_form") or PauseForm(),
        "resume_form": ConfirmForm(),
        "live": gift.status in ("active", "paused", "past_due"),
    }


@never_cache
@require_GET
@supporter_required
def monthly(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    gift = own_recurring_gift(current_supporter(request), reference)
    return render(request, "donations/portal/monthly.html", _manage_context(gift))


def _run(request: HttpRequest, gift, action, done_message: str) -> HttpResponse | None:
    """Call the service; a message and a redirect to the gift's page, or None to show the form's errors."""
    try:
        changed = action()
    except GatewayError as exc:
        logger.warning("portal change to %s refused by the gateway: %s", gift.reference, exc.message)
        messages.error(request, _("Our payment processor did not accept the change, so nothing changed. Please try "
                                  "again later."))  # fmt: skip
    except ChangeRefused:
        messages.error(request, _("This change does not apply to this monthly gift now, so nothing changed."))
    else:
        if changed:
            messages.success(request, done_message)
        else:
            messages.info(request, _("Nothing needed to change."))
    return redirect("portal:monthly", reference=gift.reference)


@never_cache
@require_POST
@supporter_required
def monthly_amount(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    gift = own_recurring_gift(current_supporter(request), reference)
    form = AmountForm(request.POST, currency=gift.currency)
    if not form.is_valid():
        return render(request, "donations/portal/monthly.html", _manage_context(gift, amount_form=form), status=400)
    amount = form.cleaned_data["amount"]

    def action() -> bool:
        try:
            return recurring_change_amount(
                recurring=gift, amount_minor=amount, request_id=form.cleaned_data["request_id"]
            )
        except AmountError:
            raise ChangeRefused("amount") from None

    message = _("Your monthly gift is now %(amount)s.") % {"amount": format_money(amount, gift.currency)}
    return _run(request, gift, action, message)


@never_cache
@require_POST
@supporter_required
def monthly_day(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    gift = own_recurring_gift(current_supporter(request), reference)
    form = DayForm(request.POST)
    if not form.is_valid():
        return render(request, "donations/portal/monthly.html", _manage_context(gift, day_form=form), status=400)
    day = form.cleaned_data["day"]
    return _run(
        request,
        gift,
        lambda: recurring_change_day(recurring=gift, day=day, request_id=form.cleaned_data["request_id"]),
        _("Your monthly gift will be taken on day %(day)s of each month.") % {"day": day},
    )


@never_cache
@require_POST
@supporter_required
def monthly_pause(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    gift = own_recurring_gift(current_supporter(request), reference)
    form = PauseForm(request.POST)
    if not form.is_valid():
        return render(request, "donations/portal/monthly.html", _manage_context(gift, pause_form=form), status=400)
    months = form.cleaned_data["months"]
    return _run(
        request,
        gift,
        lambda: recurring_pause(recurring=gift, months=months, request_id=form.cleaned_data["request_id"]),
        _("Your monthly gift is paused. It starts again by itself; you can also resume it sooner."),
    )


@never_cache
@require_POST
@supporter_required
def monthly_resume(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    gift = own_recurring_gift(current_supporter(request), reference)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return redirect("portal:monthly", reference=gift.reference)
    return _run(
        request,
        gift,
        lambda: recurring_resume(recurring=gift, request_id=form.cleaned_data["request_id"]),
        _("Your monthly gift is active again. Thank you!"),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@supporter_required
def monthly_cancel(request: HttpRequest, reference: uuid.UUID) -> HttpResponse:
    """GET: a confirmation page that offers a pause first; POST cancels (never blocked)."""
    gift = own_recurring_gift(current_supporter(request), reference)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _run(
            request,
            gift,
            lambda: recurring_cancel(
                recurring=gift, request_id=form.cleaned_data["request_id"], reason=form.cleaned_data["reason"]
            ),
            _("Your monthly gift is canceled. Nothing more will be taken. Thank you for your support."),
        )
    return render(
        request,
        "donations/portal/cancel.html",
        {**_manage_context(gift), "cancel_form": form},
        status=400 if form.errors else 200,
    )


# -- The card that pays the monthly gifts --------------------------------------------------------


def _card_page(request: HttpRequest, supporter: Supporter, *, token: str = "") -> HttpResponse:
    gateway_name = default_gateway_name()
    gifts_live = list(supporter_live_gifts(supporter, gateway=gateway_name).select_related("payment_card"))
    action = reverse("portal:card_token", args=[token]) if token else reverse("portal:card")
    context: dict[str, Any] = {
        "supporter": supporter,
        "gifts": [_recurring_row(g) for g in gifts_live],
        "cards": sorted({str(g.payment_card) for g in gifts_live if g.payment_card_id}),
        "action": action,
        "signed_in": current_supporter(request) is not None,
    }
    if not gifts_live:
        return _private(render(request, "donations/portal/card.html", context))
    if gateway_name == "sandbox":
        form = PortalSandboxCardForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            expiry = form.cleaned_data["expiry"]
            card = replace(form.cleaned_data["number"], exp_month=expiry.month, exp_year=expiry.year)
            try:
                details = SandboxGateway().card_save(card)
            except GatewayError:
                form.add_error("number", _("Your card was declined. Try another card, or contact your bank."))
            else:
                payment_card_replace(
                    supporter=supporter, gateway="sandbox", details=details, request_id=form.cleaned_data["request_id"]
                )
                return _card_saved(request, token)
        context.update(card_form=form, test_mode=True)
        status = 400 if form.errors else 200
        return _private(render(request, "donations/portal/card.html", context, status=status))
    gateway = gateway_for(gateway_name)
    try:
        setup = gateway.card_setup_start(
            supporter, customer_id=gateway.customer_for(supporter), idempotency_key=f"setup-{uuid.uuid4()}"
        )
    except GatewayError as exc:
        logger.warning("card setup could not start: %s", exc.message)
        context["gateway_error"] = True
        return _private(render(request, "donations/portal/card.html", context, status=502))
    done = reverse("portal:card_done_token", args=[token]) if token else reverse("portal:card_done")
    context.update(
        client_secret=setup.client_secret,
        publishable_key=settings.STRIPE_PUBLISHABLE_KEY,
        return_url=request.build_absolute_uri(done),
        test_mode=settings.STRIPE_SECRET_KEY.startswith("sk_test_"),
    )
    return _private(render(request, "donations/portal/card.html", context))


def _card_saved(request: HttpRequest, token: str) -> HttpResponse:
    messages.success(
        request, _("Your new card will pay your monthly gifts from now on. We have emailed you to confirm.")
    )
    if token and current_supporter(request) is None:
        return redirect("portal:card_token", token=token)
    return redirect("portal:gifts")


@never_cache
@csp_update(STRIPE_CSP)
@require_http_methods(["GET", "POST"])
@supporter_required
def card(request: HttpRequest) -> HttpResponse:
    return _card_page(request, current_supporter(request))


@never_cache
@csp_update(STRIPE_CSP)
@require_http_methods(["GET", "POST"])
def card_token(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click link from a dunning email: the update-card page, signed in or not."""
    supporter = card_update_supporter(token)
    if supporter is None:
        response = render(request, "donations/portal/card_link_invalid.html", status=400)
        response["Referrer-Policy"] = "same-origin"
        return _private(response)
    signed_in = current_supporter(request)
    if signed_in is not None and signed_in.pk == supporter.pk:
        return redirect("portal:card")
    response = _card_page(request, supporter, token=token)
    response["Referrer-Policy"] = "same-origin"
    return response


def _card_done(request: HttpRequest, supporter: Supporter, token: str) -> HttpResponse:
    """Where Stripe sends the browser after confirming the SetupIntent: read it, then replace the card."""
    setup_id = request.GET.get("setup_intent", "")
    gateway = gateway_for(default_gateway_name())
    if not setup_id.startswith("seti_"):
        raise Http404
    try:
        details = gateway.card_setup_finish(setup_id, customer_id=gateway.customer_for(supporter))
        # The SetupIntent's id makes the replacement happen once, however often this page is reloaded.
        payment_card_replace(
            supporter=supporter,
            gateway=gateway.name,
            details=details,
            request_id=uuid.uuid5(uuid.NAMESPACE_URL, f"setup:{setup_id}"),
        )
    except GatewayError as exc:
        logger.warning("card setup %s did not finish: %s", setup_id, exc.message)
        messages.error(request, _("Your card could not be saved. Please try again or use another card."))
        return redirect("portal:card_token", token=token) if token else redirect("portal:card")
    return _card_saved(request, token)


@never_cache
@require_GET
@supporter_required
def card_done(request: HttpRequest) -> HttpResponse:
    return _card_done(request, current_supporter(request), "")


@never_cache
@require_GET
def card_done_token(request: HttpRequest, token: str) -> HttpResponse:
    supporter = card_update_supporter(token)
    if supporter is None:
        return _private(render(request, "donations/portal/card_link_invalid.html", status=400))
    return _card_done(request, supporter, token)
