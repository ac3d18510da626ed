"""Supporters in the Wagtail admin: the privacy-request log (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from supporters import admin_views


@hooks.register("register_admin_urls")
def register_privacy_log_urls() -> list[Any]:
    return [path("privacy-requests/", admin_views.PrivacyLogView.as_view(), name="supporters_privacy_log")]


class PrivacyLogMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return admin_views.can_view(request.user)


@hooks.register("register_settings_menu_item")
def register_privacy_log_menu() -> MenuItem:
    return PrivacyLogMenuItem(_("Privacy requests"), reverse("supporters_privacy_log"), icon_name="lock", order=900)


@hooks.register("register_permissions")
def register_privacy_log_permission() -> Any:
    """Reading the privacy-request log, grantable per group (Settings → Groups)."""
    return Permission.objects.filter(content_type__app_label="supporters", codename="view_privacyrequest")
