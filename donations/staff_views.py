"""The staff side of gifts in the Wagtail admin: detail with timeline, refunds, offline gifts."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.generic import FormView
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import Button
from wagtail.permission_policies import ModelPermissionPolicy

from cms.currencies import SUPPORTED_CURRENCIES, currency_choices
from donations.models import Donation, Fund
from donations.money import AmountError, format_money, format_plain, parse_amount
from donations.services import donation_record_offline, donation_refund


class ServicesOnlyPolicy(ModelPermissionPolicy):
    """Gifts change only through services (payments, refunds, offline records): the admin offers
    viewing, never adding, editing or deleting rows, to anyone."""

    FORBIDDEN = frozenset({"add", "change", "delete"})

    def user_has_permission(self, user: Any, action: str) -> bool:
        return action not in self.FORBIDDEN and super().user_has_permission(user, action)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions: Any) -> Any:
        return super().users_with_any_permission(set(actions) - self.FORBIDDEN)


def money_column(name: str, label: Any, amount: str = "amount_minor") -> Column:
    return Column(
        name,
        label=label,
        accessor=lambda gift: format_money(getattr(gift, amount), gift.currency, get_language()),
        sort_key=amount,
    )


class DonationInspectView(InspectView):
    """A gift: its details, who gave (for staff allowed to see donors), and its timeline."""

    template_name = "donations/admin/donation_inspect.html"

    def get_object(self, queryset: Any = None) -> Donation:
        return get_object_or_404(
            Donation.objects.select_related("supporter", "recurring_gift", "fund", "designation_page", "recorded_by"),
            pk=self.pk,
        )

    def get_fields(self) -> list[str]:
        return []

    @property
    def header_more_buttons(self) -> list[Button]:
        buttons = []
        if self.object.refundable_minor and self.request.user.has_perm("donations.refund_donation"):
            buttons.append(
                Button(
                    _("Refund"),
                    url=reverse("donations_staff:refund", args=[self.object.pk]),
                    icon_name="rotate",
                    priority=10,
                )
            )
        return buttons

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        gift = self.object
        language = get_language()
        context.update(
            {
                "gift": gift,
                "amount": format_money(gift.amount_minor, gift.currency, language),
                "fee_covered": format_money(gift.fee_covered_minor, gift.currency, language),
                "refunded": format_money(gift.amount_refunded_minor, gift.currency, language),
                "processor_fee": format_money(gift.processor_fee_minor, gift.currency, language)
                if gift.processor_fee_minor is not None
                else "",
                "events": [
                    {
                        "event": event,
                        "amount": format_money(event.amount_minor, event.currency or gift.currency, language)
                        if event.amount_minor is not None
                        else "",
                    }
                    for event in gift.events.select_related("actor").order_by("occurred_at", "id")
                ],
                "refund_requests": gift.refund_requests.select_related("requested_by"),
            }
        )
        return context


class StaffFormView(WagtailAdminTemplateMixin, FormView):
    template_name = "donations/admin/form.html"
    permission_required = ""
    header_icon = "tag"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(self.permission_required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class RefundForm(forms.Form):
    request_id = forms.UUIDField(widget=forms.HiddenInput)
    amount = forms.CharField(label=gettext_lazy("Amount to refund"), max_length=20)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=gettext_lazy("Kept in the gift's timeline and the audit log."),
    )


class RefundView(StaffFormView):
    form_class = RefundForm
    permission_required = "donations.refund_donation"
    page_title = gettext_lazy("Refund")
    header_icon = "rotate"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.gift = get_object_or_404(Donation.objects.select_related("supporter"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return f"{self.gift.short_reference} · {format_money(self.gift.amount_minor, self.gift.currency)}"

    def get_initial(self) -> dict[str, Any]:
        return {"request_id": uuid.uuid4(), "amount": format_plain(self.gift.refundable_minor, self.gift.currency)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["intro"] = _("Up to %(amount)s can be refunded. The money goes back to the card it came from.") % {
            "amount": format_money(self.gift.refundable_minor, self.gift.currency)
        }
        context["submit_label"] = _("Refund")
        return context

    def form_valid(self, form: RefundForm) -> HttpResponse:
        try:
            amount = parse_amount(form.cleaned_data["amount"], self.gift.currency)
            request = donation_refund(
                donation=self.gift,
                amount_minor=amount,
                reason=form.cleaned_data["reason"],
                user=self.request.user,
                request_id=form.cleaned_data["request_id"],
            )
        except AmountError as exc:
            form.add_error("amount", str(exc))
            return self.form_invalid(form)
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Refund of %(amount)s recorded (%(status)s).")
            % {
                "amount": format_money(request.amount_minor, self.gift.currency),
                "status": request.get_status_display(),
            },
        )
        return redirect("donations_donation:inspect", self.gift.pk)


class OfflineGiftForm(forms.Form):
    request_id = forms.UUIDField(widget=forms.HiddenInput)
    name = forms.CharField(label=gettext_lazy("Donor's name"), max_length=200)
    email = forms.EmailField(label=gettext_lazy("Donor's email"))
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=20)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=[])
    method = forms.ChoiceField(label=gettext_lazy("Received by"), choices=Donation.OfflineMethod.choices)
    received_on = forms.DateField(label=gettext_lazy("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(
        label=gettext_lazy("Reference"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("Cheque number or bank transfer reference."),
    )
    evidence = forms.FileField(
        label=gettext_lazy("Evidence"),
        required=False,
        help_text=gettext_lazy("A scan of the cheque or the bank statement line (PDF, PNG or JPEG, up to 10 MB)."),
    )
    fund = forms.ModelChoiceField(label=gettext_lazy("Fund"), queryset=Fund.objects.none(), required=False)
    anonymous = forms.BooleanField(label=gettext_lazy("Keep the donor's name off public lists"), required=False)

    EVIDENCE_MAX_BYTES = 10 * 1024 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()
        self.fields["fund"].queryset = Fund.objects.filter(active=True)

    def clean_evidence(self) -> Any:
        evidence = self.cleaned_data.get("evidence")
        if evidence is None:
            return None
        if evidence.size > self.EVIDENCE_MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB."))
        head = evidence.read(8)
        evidence.seek(0)
        if not head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff")):
            raise ValidationError(_("Upload a PDF, PNG or JPEG file."))
        return evidence

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        currency = data.get("currency")
        if currency in SUPPORTED_CURRENCIES and data.get("amount"):
            try:
                data["amount_minor"] = parse_amount(data["amount"], currency)
            except AmountError as exc:
                self.add_error("amount", str(exc))
        if data.get("received_on") and data["received_on"] > timezone.localdate():
            self.add_error("received_on", _("The date received cannot be in the future."))
        return data


class OfflineGiftView(StaffFormView):
    form_class = OfflineGiftForm
    permission_required = "donations.record_offline_donation"
    page_title = gettext_lazy("Record an offline gift")

    def get_initial(self) -> dict[str, Any]:
        return {"request_id": uuid.uuid4(), "received_on": timezone.localdate(), "currency": "USD"}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["intro"] = _("A gift received by cash, cheque or bank transfer. It joins the donor's giving history.")
        context["submit_label"] = _("Record the gift")
        context["multipart"] = True
        return context

    def form_valid(self, form: OfflineGiftForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            gift = donation_record_offline(
                name=data["name"],
                email=data["email"],
                amount_minor=data["amount_minor"],
                currency=data["currency"],
                method=data["method"],
                received_on=data["received_on"],
                reference=data["reference"],
                evidence=data.get("evidence"),
                user=self.request.user,
                fund_id=data["fund"].pk if data.get("fund") else None,
                anonymous=data["anonymous"],
                request_id=data["request_id"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Offline gift %(reference)s recorded.") % {"reference": gift.short_reference})
        return redirect("donations_donation:inspect", gift.pk)


def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """An offline gift's evidence file: kept out of public media, shown only to staff who may see gifts."""
    if not request.user.has_perm("donations.view_donation"):
        raise PermissionDenied
    gift = get_object_or_404(Donation, pk=pk)
    if not gift.evidence:
        raise Http404
    return FileResponse(gift.evidence.open("rb"), as_attachment=True, filename=gift.evidence.name.rsplit("/", 1)[-1])
