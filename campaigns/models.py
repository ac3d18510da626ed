"""Advocacy: campaigns and the officials they address.

A CampaignPage groups a campaign's actions: its petitions, virtual marches
and donate pages are child pages, and its body can hold donate blocks and
updates. Targets are the officials those actions address, kept as snippets
so several petitions and marches can share one.

The campaign's goal counts what its children contribute: each child page
type may define ``campaign_goal_contribution(kind) -> int`` (petitions
contribute confirmed signatures, marches their participants' actions), and
money is read from the books for gifts designated to the campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from cms.blocks import BodyBlock
from cms.currencies import SUPPORTED_CURRENCIES
from cms.languages import in_language
from cms.models import CachedPage


class Target(index.Indexed, models.Model):
    """An official a campaign addresses, and how to reach them.

    The public sees the name, role, office, region, phone and web form; the
    email address letters are sent to stays private unless staff say the
    official publishes it themselves.
    """

    name = models.CharField(_("name"), max_length=200)
    name_ar = models.CharField(_("name in Arabic"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=200, help_text=_("For example: Senator, Minister of Health."))
    role_ar = models.CharField(_("role in Arabic"), max_length=200, blank=True)
    office = models.CharField(_("office"), max_length=200, blank=True, help_text=_("The office or body they sit in."))
    office_ar = models.CharField(_("office in Arabic"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=120, blank=True, help_text=_("The area they answer for."))
    phone = models.CharField(_("phone"), max_length=40, blank=True, help_text=_("In international form: +962 6 ..."))
    email = models.EmailField(_("email"), blank=True, help_text=_("Where letters from supporters are sent."))
    email_is_public = models.BooleanField(
        _("the email address is public"),
        default=False,
        help_text=_("Tick only if the official publishes this address themselves; otherwise it is never shown."),
    )
    web_form_url = models.URLField(_("web contact form"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("name_ar")]),
        FieldRowPanel([FieldPanel("role"), FieldPanel("role_ar")]),
        FieldRowPanel([FieldPanel("office"), FieldPanel("office_ar")]),
        FieldPanel("region"),
        MultiFieldPanel(
            [FieldPanel("phone"), FieldPanel("email"), FieldPanel("email_is_public"), FieldPanel("web_form_url")],
            heading=_("How to reach them"),
        ),
        FieldPanel("active"),
    ]
    search_fields = [
        index.SearchField("name"),
        index.SearchField("name_ar"),
        index.SearchField("role"),
        index.SearchField("office"),
        index.SearchField("region"),
        index.AutocompleteField("name"),
        index.FilterField("active"),
    ]

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_ar)

    @property
    def display_role(self) -> str:
        return in_language(self.role, self.role_ar)

    @property
    def display_office(self) -> str:
        return in_language(self.office, self.office_ar)

    @property
    def public_email(self) -> str:
        return self.email if self.email_is_public else ""

    @property
    def tel_href(self) -> str:
        """A tel: link: the digits and a leading +, nothing else."""
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        if not digits:
            return ""
        return f"tel:{'+' if self.phone.strip().startswith('+') else ''}{digits}"

    def public_view(self) -> dict[str, str]:
        """What anyone may see, in the current language: never a private email address."""
        return {
            "id": str(self.pk),
            "name": self.display_name,
            "role": self.display_role,
            "office": self.display_office,
            "region": self.region,
            "phone": self.phone,
            "email": self.public_email,
            "web_form_url": self.web_form_url,
        }


class CampaignPage(CachedPage):
    """A campaign: its story, its goal, and the actions below it (petitions, marches, donate pages)."""

    class GoalKind(models.TextChoices):
        NONE = "", _("No goal shown")
        SIGNATURES = "signatures", _("Signatures on its petitions")
        ACTIONS = "actions", _("Actions taken in its marches")
        AMOUNT = "amount", _("Amount raised")

    summary = models.TextField(_("summary"), blank=True, max_length=300, help_text=_("Shown in lists of campaigns."))
    hero_heading = models.CharField(_("hero heading"), max_length=140)
    hero_text = models.TextField(_("hero text"), blank=True, max_length=600)
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    goal_kind = models.CharField(_("goal"), max_length=16, choices=GoalKind.choices, blank=True, default="")
    goal_number = models.PositiveBigIntegerField(
        _("goal figure"),
        null=True,
        blank=True,
        help_text=_("Signatures or actions; for an amount, in whole units of the goal currency."),
    )
    goal_currency = models.CharField(
        _("goal currency"),
        max_length=3,
        blank=True,
        choices=[(code, code) for code in SUPPORTED_CURRENCIES],
        help_text=_("For an amount goal: gifts in this currency count towards it."),
    )
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [FieldPanel("hero_heading"), FieldPanel("hero_text"), FieldPanel("hero_image")], heading=_("Hero")
        ),
        MultiFieldPanel(
            [FieldPanel("goal_kind"), FieldPanel("goal_number"), FieldPanel("goal_currency")], heading=_("Goal")
        ),
        FieldPanel("body"),
        InlinePanel("updates", label=_("Updates")),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("hero_heading"),
        index.SearchField("hero_text"),
        index.SearchField("body"),
    ]
    template = "campaigns/campaign_page.html"

    class Meta:
        verbose_name = _("campaign page")

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        errors = {}
        if self.goal_kind and not self.goal_number:
            errors["goal_number"] = _("A goal needs a figure.")
        if self.goal_kind == self.GoalKind.AMOUNT and not self.goal_currency:
            errors["goal_currency"] = _("An amount goal needs a currency.")
        if errors:
            raise ValidationError(errors)

    def actions(self) -> list[Page]:
        """The live action pages below this campaign (petitions, marches, donate pages), in menu order."""
        return [page.specific for page in self.get_children().live().public().exclude(pk=self.pk)]

    def progress(self) -> GoalProgress | None:
        if not self.goal_kind or not self.goal_number:
            return None
        if self.goal_kind == self.GoalKind.AMOUNT:
            from donations.ledger.selectors import designation_totals
            from donations.money import exponent

            raised = 0
            for per_currency in designation_totals(designation=f"page:{self.pk}").values():
                bucket = per_currency.get(self.goal_currency, {})
                raised += bucket.get("raised", 0) - bucket.get("refunds", 0) - bucket.get("chargebacks", 0)
            goal_minor = self.goal_number * 10 ** exponent(self.goal_currency)
            return GoalProgress(
                kind=self.goal_kind, current=max(raised, 0), goal=goal_minor, currency=self.goal_currency
            )
        current = 0
        for page in self.get_descendants().live().specific():
            contribute = getattr(page, "campaign_goal_contribution", None)
            if contribute is not None:
                current += int(contribute(self.goal_kind))
        return GoalProgress(kind=self.goal_kind, current=current, goal=self.goal_number)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["progress"] = self.progress()
        context["updates"] = self.updates.order_by("-published_on", "-pk")
        context["actions"] = self.actions()
        return context


@dataclass(frozen=True)
class GoalProgress:
    kind: str
    current: int
    goal: int
    currency: str = ""

    @property
    def percent(self) -> int:
        """0–100, for a progress bar (a goal passed shows full)."""
        if self.goal <= 0:
            return 100
        return min(100, self.current * 100 // self.goal)


class CampaignUpdate(Orderable):
    """News on a campaign's page: what happened, newest first."""

    page = ParentalKey(CampaignPage, on_delete=models.CASCADE, related_name="updates")
    published_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    body = RichTextField(_("text"), features=["bold", "italic", "link", "ol", "ul"])

    panels = [FieldPanel("published_on"), FieldPanel("title"), FieldPanel("body")]

    class Meta(Orderable.Meta):
        verbose_name = _("campaign update")


# The models of each part of the app live beside its other modules; Django finds them here.
from campaigns.marches.models import *  # noqa: E402, F403
from campaigns.petitions.models import *  # noqa: E402, F403
from campaigns.proposals.models import *  # noqa: E402, F403
