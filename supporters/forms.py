"""The sign-in request form."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We email you a link that signs you in. No password needed."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)
    # A field people never see: automated submitters fill it in.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        # Moved off-screen and hidden from assistive technology (the donation form's style).
        self.helper.layout = Layout("email", "next", Div("website", css_class="donate-website", aria_hidden="true"))


class PreferencesForm(forms.Form):
    """One checkbox per communication topic: ticked means opted in."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from supporters.preferences import TOPICS

        super().__init__(*args, **kwargs)
        for topic in TOPICS:
            self.fields[topic.key] = forms.BooleanField(label=topic.label, help_text=topic.wording, required=False)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
