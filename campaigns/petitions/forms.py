"""The signing form (crispy-forms, Bootstrap 5): labelled fields, a honeypot, the consents."""

from __future__ import annotations

import functools
from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField, LazyTypedChoiceField

from campaigns.petitions.consent import PUBLIC_WORDING, UPDATES_WORDING

NAME_MAX = 120
COMMENT_MAX = 280


@functools.cache
def country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


class CountryCodeField(LazyTypedChoiceField):
    """django-countries' field, validated by a set lookup instead of a walk through 249 translated choices."""

    def valid_value(self, value: object) -> bool:
        return str(value) in country_codes()


class SignatureForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"), max_length=NAME_MAX, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("We email you a link to confirm your signature. We never show or share your address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    country = CountryField().formfield(label=_("Country"), choices_form_class=CountryCodeField)
    postcode = forms.CharField(
        label=_("Postcode (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(
        label=_("Town or city (optional)"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    comment = forms.CharField(
        label=_("Why are you signing? (optional)"),
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": COMMENT_MAX}),
    )
    public = forms.BooleanField(label=PUBLIC_WORDING, required=False)
    updates = forms.BooleanField(label=UPDATES_WORDING, required=False)
    # People never see this field; automated submitters fill it in.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, ask_for_comment: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not ask_for_comment:
            del self.fields["comment"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "name",
            "email",
            "country",
            Div(Div("postcode", css_class="col-sm-5"), Div("city", css_class="col-sm-7"), css_class="row"),
            *(["comment"] if ask_for_comment else []),
            Fieldset(_("Your choices"), "public", "updates"),
            Div("website", css_class="donate-website", aria_hidden="true"),
        )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if len(name) < 2:
            raise forms.ValidationError(_("Enter your name."))
        return name

    def honeypot_filled(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())

    def service_data(self) -> dict[str, Any]:
        """The cleaned fields, as signature_sign takes them."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "email": data["email"],
            "country": str(data["country"]),
            "postcode": data.get("postcode", ""),
            "city": data.get("city", ""),
            "comment": data.get("comment", ""),
            "public": bool(data.get("public")),
            "updates": bool(data.get("updates")),
        }
