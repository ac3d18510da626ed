"""The registration form and the room's action forms (crispy-forms, Bootstrap 5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from campaigns.marches.models import MarchAction, VirtualMarchPage
from campaigns.marches.selectors import march_times, region_choices, time_key
from campaigns.marches.services import LETTER


def time_label(moment: datetime, zone: Any) -> str:
    return formats.time_format(timezone.localtime(moment, zone), "H:i")


def slot_choices(march: VirtualMarchPage, *, include: str = "") -> list[tuple[str, str]]:
    """The times with places left (and not over), then the letter instead of a call."""
    now = timezone.now()
    minutes = march.plan.minutes
    choices = []
    for moment, left in march_times(march=march):
        key = time_key(moment)
        if (left > 0 and moment.timestamp() + minutes * 60 > now.timestamp()) or key == include:
            places = ngettext("%(n)s place left", "%(n)s places left", left) % {"n": left}
            choices.append((key, f"{time_label(moment, march.zone)} ({places})"))
    choices.append((LETTER, str(_("I can't call: send a letter instead"))))
    return choices


class RegisterForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("We email you your time and your private link. We never share it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    region = forms.ChoiceField(label=_("Where you live"))
    slot = forms.ChoiceField(label=_("When you will call"), help_text=_("Times are in the march's time zone."))
    # A field people never see: automated submitters fill it in.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, march: VirtualMarchPage, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.march = march
        self.fields["region"].choices = [("", "—"), *region_choices(march)]
        sent = self.data.get("slot", "") if self.is_bound else ""
        self.fields["slot"].choices = slot_choices(march, include=sent)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "name", "email", "region", "slot", Div("website", css_class="donate-website", aria_hidden="true")
        )

    def clean_slot(self) -> str:
        return self.cleaned_data["slot"]

    def clean_website(self) -> str:
        if self.cleaned_data["website"]:
            raise forms.ValidationError(
                _("Your submission looked automated, so we did not accept it. Please try again.")
            )
        return ""


class CallReportForm(forms.Form):
    target = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("How did it go?"), choices=MarchAction.Outcome.choices, widget=forms.RadioSelect
    )
