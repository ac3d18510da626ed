"""The signing form (crispy-forms, Bootstrap 5): labelled fields, a honeypot, the consents."""

from __future__ import annotations

import copy
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

    def __deepcopy__(self, memo: dict[int, Any]) -> CountryCodeField:
        """Each form gets its own field and widget, sharing the (immutable, lazily translated) country list.

        Django deep-copies every field per form; for this one that meant copying 249 choices on each
        signature posted, the surge path's largest cost after the database.
        """
        result = copy.copy(self)
        memo[id(self)] = result
        result.widget = copy.copy(self.widget)
        result.widget.attrs = dict(self.widget.attrs)
        result.error_messages = dict(self.error_messages)
        result.validators = list(self.validators)
        return result


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
    # People never see this field; automated submitters fill it in (the sign views check it first).
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, ask_for_comment: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not ask_for_comment:
            del self.fields["comment"]

    @functools.cached_property
    def helper(self) -> FormHelper:
        """The crispy layout, built only when the form is shown (a valid POST never renders it)."""
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        helper.layout = Layout(
            "name",
            "email",
            "country",
            Div(Div("postcode", css_class="col-sm-5"), Div("city", css_class="col-sm-7"), css_class="row"),
            *(["comment"] if "comment" in self.fields else []),
            Fieldset(_("Your choices"), "public", "updates"),
            Div("website", css_class="donate-website", aria_hidden="true"),
        )
        return helper

    def clean_name(self) -> str:
        return _name_cleaned(self.cleaned_data["name"])

    @classmethod
    def cleaned_or_none(cls, data: Any, *, ask_for_comment: bool = True) -> dict[str, Any] | None:
        """The cleaned fields of a valid submission without building a form; None if anything is wrong.

        The same fields and rules as ``is_valid()`` (each field's own ``clean``, then ``clean_name``), but
        without the per-form deep copy of every field and the bound-field machinery: on the surge path
        nearly every POST is valid and never rendered. Build the form only to show what is wrong.
        """
        cleaned: dict[str, Any] = {}
        try:
            for name, field in cls.base_fields.items():
                if name == "comment" and not ask_for_comment:
                    continue
                cleaned[name] = field.clean(field.widget.value_from_datadict(data, None, name))
            cleaned["name"] = _name_cleaned(cleaned["name"])
        except forms.ValidationError:
            return None
        return cleaned

    def service_data(self) -> dict[str, Any]:
        """The cleaned fields, as signature_sign takes them."""
        return service_data(self.cleaned_data)


def _name_cleaned(value: str) -> str:
    name = " ".join(value.split())
    if len(name) < 2:
        raise forms.ValidationError(_("Enter your name."))
    return name


def service_data(data: dict[str, Any]) -> dict[str, Any]:
    """Cleaned sign-form fields, as signature_sign and signature_accept take them."""
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
