"""The donate block: a donation form staff can put on any page, configured per block.

It imports no models (cms builds page bodies with it), and hands the form a
DonationFormConfig; the page it sits on becomes the gift's designation unless
staff choose a fund.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

from cms.currencies import SUPPORTED_CURRENCIES
from donations.choices import Frequency, Surface
from donations.formconfig import DonationFormConfig, parse_preset_list
from donations.money import AmountError, check_limits

CURRENCIES = [(code, code) for code in SUPPORTED_CURRENCIES]


def fund_choices() -> list[tuple[str, str]]:
    """The funds staff defined, read when the editor opens the form (blocks import no models)."""
    from donations.models import Fund

    return [(str(fund.pk), fund.name) for fund in Fund.objects.filter(active=True)]


class FundChoiceBlock(blocks.ChoiceBlock):
    """A choice of fund, listed when the editor opens the form.

    Migrations record it without its choices, so the page models that use
    the shared body (in cms) never import this app.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=fund_choices, **kwargs)

    def deconstruct(self) -> tuple[str, tuple, dict[str, Any]]:
        return ("wagtail.blocks.ChoiceBlock", (), {**self._constructor_kwargs, "choices": []})


class PresetAmountsBlock(blocks.StructBlock):
    currency = blocks.ChoiceBlock(choices=CURRENCIES, default="USD", label=_("Currency"))
    one_time = blocks.CharBlock(
        label=_("One-time amounts"), help_text=_("Separated by commas, e.g. 25, 50, 100, 250"), default="25, 50, 100"
    )
    monthly = blocks.CharBlock(
        label=_("Monthly amounts"), help_text=_("Separated by commas, e.g. 10, 20, 50"), default="10, 20, 50"
    )

    class Meta:
        icon = "list-ul"
        label = _("Suggested amounts")

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        errors = {}
        for name in ("one_time", "monthly"):
            try:
                for amount in parse_preset_list(value[name], value["currency"]):
                    check_limits(amount, value["currency"])
            except AmountError as exc:
                errors[name] = ValidationError(str(exc))
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value


class DonateBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120, label=_("Heading"), default="")
    intro = blocks.TextBlock(required=False, max_length=400, label=_("Introduction"))
    currencies = blocks.MultipleChoiceBlock(choices=CURRENCIES, default=["USD"], label=_("Currencies offered"))
    default_currency = blocks.ChoiceBlock(choices=CURRENCIES, default="USD", label=_("Default currency"))
    presets = blocks.ListBlock(PresetAmountsBlock(), label=_("Suggested amounts per currency"))
    frequencies = blocks.MultipleChoiceBlock(
        choices=Frequency.choices, default=[Frequency.ONE_TIME, Frequency.MONTHLY], label=_("Frequencies offered")
    )
    default_frequency = blocks.ChoiceBlock(choices=Frequency.choices, default=Frequency.ONE_TIME, label=_("Default"))
    fund = FundChoiceBlock(
        required=False,
        label=_("Fund"),
        help_text=_("Leave empty to designate gifts to the page this form is on (its campaign)."),
    )
    monthly_upsell = blocks.BooleanBlock(
        required=False, default=True, label=_("Suggest a monthly gift to one-time donors")
    )
    ask_demographics = blocks.BooleanBlock(
        required=False,
        default=False,
        label=_("Ask optional demographic questions"),
        help_text=_(
            "Asked only with the donor's explicit consent, stored apart from the gift, used only in aggregate."
        ),
    )

    class Meta:
        icon = "pick"
        label = _("Donation form")
        template = "blocks/donate.html"
        description = _("A donation form: amounts, currencies, once or monthly.")
        preview_value = {
            "heading": _("Give today"),
            "currencies": ["USD", "JOD"],
            "default_currency": "USD",
            "presets": [
                {"currency": "USD", "one_time": "25, 50, 100", "monthly": "10, 20, 50"},
                {"currency": "JOD", "one_time": "20, 35, 70", "monthly": "5, 10, 25"},
            ],
            "frequencies": [Frequency.ONE_TIME, Frequency.MONTHLY],
            "default_frequency": Frequency.ONE_TIME,
            "monthly_upsell": True,
        }

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        errors = {}
        if value["default_currency"] not in value["currencies"]:
            errors["default_currency"] = ValidationError(_("The default currency must be one of those offered."))
        if value["default_frequency"] not in value["frequencies"]:
            errors["default_frequency"] = ValidationError(_("The default must be one of the frequencies offered."))
        stray = {preset["currency"] for preset in value["presets"]} - set(value["currencies"])
        if stray:
            errors["presets"] = ValidationError(
                _("Amounts given for currencies not offered: %(codes)s") % {"codes": ", ".join(sorted(stray))}
            )
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value

    def form_config(self, value: Any, *, page: Any, surface: str = Surface.BLOCK) -> DonationFormConfig:
        presets: dict[str, dict[str, tuple[int, ...]]] = {}
        for preset in value["presets"]:
            currency = preset["currency"]
            presets[currency] = {
                Frequency.ONE_TIME: parse_preset_list(preset["one_time"], currency),
                Frequency.MONTHLY: parse_preset_list(preset["monthly"], currency),
            }
        fund = int(value["fund"]) if value.get("fund") else None
        page_id = getattr(page, "pk", None)
        # A form on the home page gives where most needed; elsewhere, to the page (its campaign).
        designation_id = None if fund or getattr(page, "depth", 0) <= 2 else page_id
        return DonationFormConfig(
            currencies=tuple(value["currencies"]),
            default_currency=value["default_currency"],
            frequencies=tuple(value["frequencies"]),
            default_frequency=value["default_frequency"],
            presets=presets,
            fund_id=fund,
            designation_page_id=designation_id,
            source_page_id=page_id,
            surface=surface,
            monthly_upsell=bool(value.get("monthly_upsell")),
            ask_demographics=bool(value.get("ask_demographics")),
        )

    def get_context(self, value: Any, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
        from donations.views import donation_form_context

        context = super().get_context(value, parent_context)
        parent_context = parent_context or {}
        # The donate page passes its own configuration (its designation) and a form with errors.
        config = parent_context.get("donate_config") or self.form_config(value, page=parent_context.get("page"))
        context.update(
            donation_form_context(
                parent_context.get("request"),
                config,
                heading=value.get("heading") or "",
                intro=value.get("intro") or "",
                bound_form=parent_context.get("bound_donation_form"),
            )
        )
        return context
