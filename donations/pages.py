"""The donate page: a page of its own around one configured donation form."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import BodyBlock
from donations.blocks import DonateBlock
from donations.choices import Surface
from donations.formconfig import DonationFormConfig


class DonatePage(Page):
    intro = models.TextField(_("introduction"), blank=True, max_length=600)
    form = StreamField([("donate", DonateBlock())], min_num=1, max_num=1, verbose_name=_("donation form"), blank=False)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("more about giving"))
    thank_you = models.TextField(
        _("thank-you message"), blank=True, help_text=_("Shown to donors after they give; a default is used if empty.")
    )

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("form"), FieldPanel("body"),
                      FieldPanel("thank_you")]  # fmt: skip
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    template = "donations/donate_page.html"

    class Meta:
        verbose_name = _("donate page")

    def designation(self) -> Page | None:
        """Gifts here go to this page's campaign: its parent, unless that is the home page."""
        parent = self.get_parent()
        return None if parent is None or parent.depth <= 2 else parent

    def donate_block(self) -> tuple[DonateBlock, Any]:
        child = self.form[0]
        return child.block, child.value

    def form_config(self) -> DonationFormConfig:
        block, value = self.donate_block()
        config = block.form_config(value, page=self, surface=Surface.PAGE)
        if config.fund_id is None:
            designation = self.designation()
            config = replace(config, designation_page_id=designation.pk if designation else None)
        return config

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(request, *args, **kwargs)
        context["donate_config"] = self.form_config()
        return context
