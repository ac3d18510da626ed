"""Petitions in the Wagtail admin: the staff screens (admin_views.py), their menu, permissions and history."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.http import HttpRequest
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from campaigns.petitions import admin_views
from campaigns.petitions.models import PetitionPage


@hooks.register("register_admin_urls")
def register_petition_staff_urls() -> list[Any]:
    urls = [
        path("", admin_views.PetitionIndexView.as_view(), name="index"),
        path("<int:pk>/", admin_views.DashboardView.as_view(), name="dashboard"),
        path("<int:pk>/regions/", admin_views.RegionsView.as_view(), name="regions"),
        path("<int:pk>/export/<str:fmt>/", admin_views.ExportView.as_view(), name="export"),
        path("<int:pk>/report/<str:language>/", admin_views.ReportView.as_view(), name="report"),
        path("<int:pk>/invalidate/", admin_views.InvalidateView.as_view(), name="invalidate"),
    ]
    return [path("petitions/", include((urls, "petitions_staff")))]


class PetitionsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return admin_views.can_view(request.user)


@hooks.register("register_admin_menu_item")
def register_petitions_menu() -> MenuItem:
    return PetitionsMenuItem(_("Petitions"), reverse("petitions_staff:index"), icon_name="form", order=240)


@hooks.register("register_permissions")
def register_signature_permissions() -> Any:
    """Seeing signers, their emails and invalidating signatures, grantable per group (Settings → Groups)."""
    return Permission.objects.filter(
        content_type__app_label="campaigns",
        codename__in=["view_signature", "change_signature", "delete_signature"],
    )


@hooks.register("register_log_actions")
def register_petition_log_actions(actions: Any) -> None:
    actions.register_action(
        admin_views.INVALIDATE_LOG_ACTION, _("Invalidate signatures"), _("Signatures invalidated in bulk")
    )


def _signatures_button(page: Any, user: Any, priority: int) -> Button | None:
    if issubclass(page.specific_class or object, PetitionPage) and admin_views.can_view(user):
        return Button(
            _("Signatures"),
            reverse("petitions_staff:dashboard", args=[page.pk]),
            icon_name="form",
            priority=priority,
        )
    return None


@hooks.register("register_page_header_buttons")
def petition_header_button(page: Any, user: Any, view_name: str, next_url: str | None = None) -> Any:
    button = _signatures_button(page, user, priority=12)
    return [button] if button else []


@hooks.register("register_page_listing_more_buttons")
def petition_listing_button(page: Any, user: Any, next_url: str | None = None) -> Any:
    button = _signatures_button(page, user, priority=3)
    return [button] if button else []
