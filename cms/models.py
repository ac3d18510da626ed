"""The Wagtail shell: the home page, standard pages, site settings and the worker heartbeat."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import BodyBlock, FooterLinkBlock
from cms.currencies import currency_choices, validate_currency
from cms.languages import in_language
from cms.page_cache import share


class CachedPage(Page):
    """A page whose public rendering is shared between anonymous readers (cms.page_cache)."""

    class Meta:
        abstract = True

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return share(request, super().serve(request, *args, **kwargs))


class HomePage(CachedPage):
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
    hero_link_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("hero button links to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hero_link_label = models.CharField(_("hero button label"), max_length=60, blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    parent_page_types = ["wagtailcore.Page"]

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("hero_heading"),
                FieldPanel("hero_text"),
                FieldPanel("hero_image"),
                FieldPanel("hero_link_page"),
                FieldPanel("hero_link_label"),
            ],
            heading=_("Hero"),
        ),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("hero_heading"),
        index.SearchField("hero_text"),
        index.SearchField("body"),
    ]

    class Meta:
        verbose_name = _("home page")

    def clean(self) -> None:
        super().clean()
        if bool(self.hero_link_page_id) != bool(self.hero_link_label):
            raise ValidationError({"hero_link_label": _("Give the hero button both a page and a label, or neither.")})


class StandardPage(CachedPage):
    intro = models.TextField(_("introduction"), blank=True, max_length=600)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    class Meta:
        verbose_name = _("standard page")


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("%(zone)s is not a known time zone."), params={"zone": value}) from None


def default_time_zone() -> str:
    return settings.TIME_ZONE


def time_zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in sorted(zoneinfo.available_timezones())]


@register_setting(icon="site")
class OrganisationSettings(BaseSiteSetting):
    """Who runs this site: shown in the footer and, later, on receipts and statements."""

    organisation_name = models.CharField(_("organisation name"), max_length=200)
    organisation_name_ar = models.CharField(_("organisation name in Arabic"), max_length=200, blank=True)
    legal_name = models.CharField(
        _("legal name"), max_length=200, blank=True, help_text=_("As registered; printed on receipts.")
    )
    legal_name_ar = models.CharField(_("legal name in Arabic"), max_length=200, blank=True)
    charity_number = models.CharField(_("charity registration number"), max_length=64, blank=True)
    address = models.TextField(_("address"), blank=True, max_length=500)
    address_ar = models.TextField(_("address in Arabic"), blank=True, max_length=500)
    contact_email = models.EmailField(_("contact email"), blank=True)
    default_currency = models.CharField(
        _("default currency"), max_length=3, default="USD", validators=[validate_currency]
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("Used for dates on receipts and for giving analytics."),
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in"),
        choices=list(MONTHS.items()),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    footer_links = StreamField([("link", FooterLinkBlock())], blank=True, verbose_name=_("footer links"))

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("organisation_name"),
                FieldPanel("organisation_name_ar"),
                FieldPanel("legal_name"),
                FieldPanel("legal_name_ar"),
                FieldPanel("charity_number"),
                FieldPanel("address"),
                FieldPanel("address_ar"),
                FieldPanel("contact_email"),
            ],
            heading=_("Identity"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("default_currency", widget=forms.Select(choices=currency_choices)),
                FieldPanel("time_zone", widget=forms.Select(choices=time_zone_choices)),
                FieldPanel("fiscal_year_start_month"),
            ],
            heading=_("Money and time"),
        ),
        MultiFieldPanel([FieldPanel("logo"), FieldPanel("footer_links")], heading=_("Branding and footer")),
    ]

    class Meta:
        verbose_name = _("organisation")

    def _in_language(self, field: str) -> str:
        return in_language(getattr(self, field), getattr(self, f"{field}_ar"))

    @property
    def display_name(self) -> str:
        return self._in_language("organisation_name")

    @property
    def display_legal_name(self) -> str:
        return self._in_language("legal_name") or self.display_name

    @property
    def display_address(self) -> str:
        return self._in_language("address")


class WorkerHeartbeat(models.Model):
    """When a Celery worker last ran the periodic heartbeat task (shown by /healthz)."""

    name = models.CharField(max_length=100, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("worker heartbeat")

    def __str__(self) -> str:
        return f"{self.name} @ {self.hostname}"
