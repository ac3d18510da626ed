"""The privacy-request log in the Wagtail admin: who asked, when, what kind, what was done. Read-only."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from supporters.models import PrivacyRequest
from supporters.privacy import describe_done

PER_PAGE = 50


def can_view(user: Any) -> bool:
    return bool(user and user.is_active and user.has_perm("supporters.view_privacyrequest"))


class PrivacyLogView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "supporters/admin/privacy_log.html"
    page_title = gettext_lazy("Privacy requests")
    header_icon = "lock"
    http_method_names = ["get", "head"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        requests = PrivacyRequest.objects.select_related("supporter").order_by("-requested_at", "-id")
        kind = self.request.GET.get("kind", "")
        status = self.request.GET.get("status", "")
        if kind in PrivacyRequest.Kind.values:
            requests = requests.filter(kind=kind)
        if status in PrivacyRequest.Status.values:
            requests = requests.filter(status=status)
        page = Paginator(requests, PER_PAGE).get_page(self.request.GET.get("p"))
        context.update(
            {
                "page": page,
                "rows": [{"request": item, "done": describe_done(item.detail)} for item in page.object_list],
                "kinds": PrivacyRequest.Kind.choices,
                "statuses": PrivacyRequest.Status.choices,
                "kind": kind,
                "status": status,
            }
        )
        return context
