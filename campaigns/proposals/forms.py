"""Proposals: the form a supporter proposes an issue with, and the staff moderation form."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.models import CampaignPage
from campaigns.proposals.models import BODY_MAX_LENGTH, TITLE_MAX_LENGTH


class ProposalForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX_LENGTH,
        help_text=_("The issue in a few words, for example: Free school meals in every village."),
        error_messages={"required": _("Give your proposal a title."), "max_length": _("Keep the title short.")},
    )
    body = forms.CharField(
        label=_("Why it matters"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Who it affects, what should change, and why we should take it up."),
        error_messages={"required": _("Tell us why it matters.")},
    )
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Let the server say what is too long (a clear message) rather than the browser silently cutting it.
        self.fields["title"].widget.attrs.pop("maxlength", None)
        self.fields["body"].widget.attrs.pop("maxlength", None)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout("title", "body", Div("website", css_class="donate-website", aria_hidden="true"))

    def clean_website(self) -> str:
        if self.cleaned_data["website"]:
            raise forms.ValidationError(_("Leave this field empty."))
        return ""


class ModerationForm(forms.Form):
    ACTIONS = [
        ("published", _("Publish: show it and open it for votes")),
        ("rejected", _("Reject")),
        ("adopted", _("Adopt into a campaign")),
    ]
    action = forms.ChoiceField(label=_("Decision"), choices=ACTIONS, widget=forms.RadioSelect)
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=CampaignPage.objects.none(),
        required=False,
        help_text=_("For adoption: the campaign that takes the proposal up."),
    )
    note = forms.CharField(
        label=_("Note to the proposer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent with the email about your decision, for example why it was rejected."),
    )

    def __init__(self, *args: Any, allowed: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(value, label) for value, label in self.ACTIONS if value in allowed]
        self.fields["campaign"].queryset = CampaignPage.objects.live().order_by("title")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "adopted" and not data.get("campaign"):
            self.add_error("campaign", _("Choose the campaign that takes this proposal up."))
        return data
