"""Marches in the Wagtail admin: a dashboard of marches, each with its counters, participants and exports."""

from __future__ import annotations

from typing import Any

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.signals import page_published

from campaigns.marches import admin_views
from campaigns.marches.models import VirtualMarchPage

admin_urls = (
    [
        path("", admin_views.marches_index, name="index"),
        path("<int:pk>/", admin_views.march_dashboard, name="dashboard"),
        path("<int:pk>/participants.csv", admin_views.march_participants_export, name="export"),
        path("<int:pk>/summary-<str:language>.pdf", admin_views.march_summary_download, name="summary_pdf"),
        path("<int:pk>/fold/", admin_views.march_fold_now, name="fold"),
    ],
    "marches_admin",
)


@hooks.register("register_admin_urls")
def register_marches_urls() -> list[Any]:
    return [path("marches/", include(admin_urls))]


class MarchesMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return request.user.has_perm(admin_views.PERMISSION)


@hooks.register("register_admin_menu_item")
def register_marches_menu_item() -> MenuItem:
    return MarchesMenuItem(_("Marches"), reverse("marches_admin:index"), icon_name="group", order=260)


def _slots_on_publish(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Publishing a march makes its call slots (only the missing ones)."""
    from campaigns.marches.services import march_slots_ensure

    march_slots_ensure(march=instance.specific)


page_published.connect(_slots_on_publish, sender=VirtualMarchPage, dispatch_uid="marches_slots_on_publish")
