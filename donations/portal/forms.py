"""The portal's forms for monthly gifts. Each carries a request id, so a second POST changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from donations.forms import SandboxCardForm
from donations.money import AmountError, check_limits, parse_amount


class _Portal(forms.Form):
    request_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("request_id", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class AmountForm(_Portal):
    amount = forms.CharField(label=_("New monthly amount"), max_length=20)

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["amount"].help_text = _("In %(currency)s, from your next monthly gift on.") % {"currency": currency}
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal"})

    def clean_amount(self) -> int:
        try:
            minor = parse_amount(self.cleaned_data["amount"], self.currency)
            check_limits(minor, self.currency)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from None
        return minor


class DayForm(_Portal):
    day = forms.TypedChoiceField(
        label=_("Day of the month"),
        coerce=int,
        choices=[(day, str(day)) for day in range(1, 29)],
        help_text=_("Between the 1st and the 28th, so it exists in every month."),
    )


class PauseForm(_Portal):
    months = forms.TypedChoiceField(
        label=_("Pause for"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[(1, _("1 month")), (2, _("2 months")), (3, _("3 months"))],
        initial=1,
    )


class ConfirmForm(_Portal):
    """Resume, or cancel (with an optional reason)."""

    reason = forms.CharField(label=_("Why are you cancelling? (optional)"), required=False, max_length=200)


class PortalSandboxCardForm(SandboxCardForm):
    request_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("request_id", uuid.uuid4())
        super().__init__(*args, **kwargs)
