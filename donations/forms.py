"""The donation form (crispy-forms, Bootstrap 5), the sandbox card form and the staff forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Fieldset, Layout
from django import forms
from django.utils.functional import cached_property, lazy
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from donations.choices import Frequency
from donations.formconfig import DonationFormConfig
from donations.gateways.sandbox import SandboxCard, find_test_card
from donations.models import Donation, DonorSurvey
from donations.money import AmountError, check_limits, format_money, parse_amount

# The exact words donors consent to; a new version gets a new number.
EMAIL_UPDATES_WORDING = _("Yes, email me news about our work and appeals. I can unsubscribe at any time.")
EMAIL_UPDATES_VERSION = "donation-updates-v1"
SURVEY_WORDING = _(
    "I agree to answer a few optional questions (age, gender, where I live). The answers are kept apart from my "
    "gift and used only in groups of ten or more."
)
SURVEY_VERSION = "donation-survey-v1"
OTHER = "other"


def _short_money(minor: int, currency: str, language: str) -> str:
    return format_money(minor, currency, language, short=True)


# Labels are formatted only if the form is rendered: a valid POST never shows them.
_lazy_short_money = lazy(_short_money, str)


def amount_choices(config: DonationFormConfig, currency: str, frequency: str, language: str) -> list[tuple[str, Any]]:
    return [
        (str(minor), _lazy_short_money(minor, currency, language)) for minor in config.amounts(currency, frequency)
    ] + [(OTHER, _("Other amount"))]


class DonationForm(forms.Form):
    config_token = forms.CharField(widget=forms.HiddenInput)
    attempt_id = forms.UUIDField(widget=forms.HiddenInput)
    currency = forms.CharField(widget=forms.HiddenInput)
    frequency = forms.ChoiceField(label=_("How often"), choices=Frequency.choices, widget=forms.RadioSelect)
    amount = forms.ChoiceField(label=_("Amount"), widget=forms.RadioSelect, required=False)
    other_amount = forms.CharField(
        label=_("Other amount"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    cover_fee = forms.BooleanField(label=_("Cover the card fee"), required=False)
    name = forms.CharField(label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("Email"),
        help_text=_("For your confirmation. We never share it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    address_line1 = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_line2 = forms.CharField(
        label=_("Address line 2"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    address_city = forms.CharField(
        label=_("Town or city"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    address_postcode = forms.CharField(
        label=_("Postcode"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    address_country = CountryField(blank=True).formfield(label=_("Country"), required=False)
    tribute = forms.ChoiceField(label=_("Dedicate this gift"), choices=Donation.Tribute.choices, required=False)
    tribute_name = forms.CharField(label=_("Their name"), max_length=200, required=False)
    tribute_notify_name = forms.CharField(label=_("Tell someone: their name"), max_length=200, required=False)
    tribute_notify_email = forms.EmailField(label=_("Tell someone: their email"), required=False)
    anonymous = forms.BooleanField(label=_("Keep my name off public lists of donors"), required=False)
    message = forms.CharField(
        label=_("Message (optional)"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    email_updates = forms.BooleanField(label=EMAIL_UPDATES_WORDING, required=False)
    survey_consent = forms.BooleanField(label=SURVEY_WORDING, required=False)
    age_band = forms.ChoiceField(label=_("Age"), choices=[("", "—"), *DonorSurvey.AgeBand.choices], required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", "—"), *DonorSurvey.Gender.choices], required=False)
    survey_country = CountryField(blank=True).formfield(label=_("Country you live in"), required=False)
    survey_city = forms.CharField(label=_("Town or city you live in"), max_length=100, required=False)
    # A field people never see: automated submitters fill it in.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    utm_source = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)
    utm_medium = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)
    utm_campaign = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)
    utm_term = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)
    utm_content = forms.CharField(required=False, widget=forms.HiddenInput, max_length=100)
    referrer_class = forms.CharField(required=False, widget=forms.HiddenInput, max_length=16)

    def __init__(
        self, *args: Any, config: DonationFormConfig, currency: str, frequency: str, language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.config = config
        self.language = language
        self.fields["frequency"].choices = [(f, label) for f, label in Frequency.choices if f in config.frequencies]
        self.fields["amount"].choices = amount_choices(config, currency, frequency, language)
        if not config.ask_demographics:
            for name in ("survey_consent", "age_band", "gender", "survey_country", "survey_city"):
                del self.fields[name]
        self.display_currency = currency

    @cached_property
    def helper(self) -> FormHelper:
        """The crispy layout, built only when the form is rendered (a valid POST never needs it)."""
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        helper.layout = self._layout(self.display_currency)
        return helper

    def _layout(self, currency: str) -> Layout:
        survey = (
            [
                Fieldset(
                    _("A few optional questions"),
                    "survey_consent",
                    Div("age_band", "gender", css_class="row-cols-sm-2"),
                    "survey_country",
                    "survey_city",
                    css_class="donate-survey",
                )
            ]
            if self.config.ask_demographics
            else []
        )
        return Layout(
            "config_token",
            "attempt_id",
            "currency",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
            "referrer_class",
            Fieldset(
                _("Your gift"),
                InlineRadios("frequency", css_class="donate-frequency"),
                InlineRadios("amount", css_class="donate-amount"),
                "other_amount",
                Field("cover_fee", wrapper_class="donate-cover-fee"),
                css_class="donate-gift",
            ),
            Fieldset(_("About you"), "name", "email", css_class="donate-you"),
            HTML(format_html('<details class="mb-3"><summary>{}</summary>', gettext("Add your address (optional)"))),
            "address_line1",
            "address_line2",
            "address_city",
            "address_postcode",
            "address_country",
            HTML("</details>"),
            HTML(format_html('<details class="mb-3"><summary>{}</summary>', gettext("Dedicate your gift (optional)"))),
            "tribute",
            "tribute_name",
            "tribute_notify_name",
            "tribute_notify_email",
            HTML("</details>"),
            "anonymous",
            "message",
            "email_updates",
            *survey,
            Div("website", css_class="donate-website", aria_hidden="true"),
        )

    # -- validation -------------------------------------------------------------

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"]
        if currency not in self.config.currencies:
            raise forms.ValidationError(_("That currency is not offered here."))
        return currency

    def clean_website(self) -> str:
        if self.cleaned_data["website"]:
            raise forms.ValidationError(
                _("Your submission looked automated, so we did not accept it. Please try again.")
            )
        return ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        currency = data.get("currency")
        if not currency:
            return data
        other = (data.get("other_amount") or "").strip()
        choice = data.get("amount")
        try:
            if other:
                minor = parse_amount(other, currency)
            elif choice and choice != OTHER:
                minor = int(choice)  # one of the presets: the field accepts nothing else
            else:
                raise AmountError(str(_("Choose an amount or enter your own.")))
            check_limits(minor, currency)
        except (AmountError, ValueError) as exc:
            self.add_error("other_amount" if other or choice == OTHER else "amount", str(exc))
            return data
        data["amount_minor"] = minor
        if data.get("tribute") and not data.get("tribute_name"):
            self.add_error("tribute_name", _("Give the name of the person you are dedicating the gift to."))
        if data.get("tribute_notify_email") and not data.get("tribute"):
            self.add_error("tribute", _("Choose whether the gift is in honour or in memory of someone."))
        return data

    def survey_answers(self) -> dict[str, str] | None:
        if not self.config.ask_demographics or not self.cleaned_data.get("survey_consent"):
            return None
        answers = {
            "age_band": self.cleaned_data.get("age_band") or "",
            "gender": self.cleaned_data.get("gender") or "",
            "country": self.cleaned_data.get("survey_country") or "",
            "city": self.cleaned_data.get("survey_city") or "",
        }
        return answers if any(answers.values()) else None


class CurrencyForm(forms.Form):
    """Switches the donation form's currency with a plain GET (JavaScript submits it on change)."""

    currency = forms.ChoiceField(label=_("Currency"))

    def __init__(self, *args: Any, currencies: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from cms.currencies import currency_choices

        self.fields["currency"].choices = [choice for choice in currency_choices() if choice[0] in currencies]


class SecretInput(forms.TextInput):
    """A text input that never writes its value back into the page (card numbers, security codes)."""

    def format_value(self, value: Any) -> None:
        return None


class SandboxCardForm(forms.Form):
    """Test mode's card form. The number is checked and never stored: only brand and last four go on."""

    number = forms.CharField(
        label=_("Card number"),
        max_length=23,
        widget=SecretInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"}),
    )
    expiry = forms.CharField(
        label=_("Expiry (MM/YY)"),
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "inputmode": "numeric"}),
    )
    cvc = forms.CharField(
        label=_("Security code"),
        max_length=4,
        widget=SecretInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_number(self) -> SandboxCard:
        card = find_test_card(self.cleaned_data["number"])
        if card is None:
            raise forms.ValidationError(_("In test mode, use one of the test card numbers listed on this page."))
        return card

    def clean_expiry(self) -> date:
        raw = self.cleaned_data["expiry"].replace(" ", "")
        try:
            month_text, year_text = raw.split("/")
            month, year = int(month_text), int(year_text)
        except ValueError:
            raise forms.ValidationError(_("Enter the expiry as MM/YY, for example 12/30.")) from None
        year += 2000 if year < 100 else 0
        if not 1 <= month <= 12:
            raise forms.ValidationError(_("Enter the expiry as MM/YY, for example 12/30."))
        today = date.today()
        if (year, month) < (today.year, today.month):
            raise forms.ValidationError(_("This card has expired."))
        return date(year, month, 1)

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError(_("Enter the 3 or 4 digits on the back of the card."))
        return cvc
