"""Campaigns in the Wagtail admin: targets as snippets."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from campaigns.models import Target


class TargetViewSet(SnippetViewSet):
    model = Target
    icon = "user"
    menu_label = _("Targets")
    menu_order = 250
    add_to_admin_menu = True
    list_display = ["name", "role", "office", "region", "active"]
    list_filter = ["active", "region"]
    search_fields = ["name", "name_ar", "role", "office", "region"]


register_snippet(TargetViewSet)


# Each part registers its own admin views and menus.
import campaigns.marches.wagtail_hooks  # noqa: E402
import campaigns.petitions.wagtail_hooks  # noqa: E402
import campaigns.proposals.wagtail_hooks  # noqa: E402, F401
