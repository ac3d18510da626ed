"""Petitions for staff in the Wagtail admin: the dashboard, exports, regions, the delivery report, bulk invalidation.

Who sees what (Django permissions on signatures, granted to groups in
Settings → Groups; superusers have them all):

- ``campaigns.view_signature``: the petitions list, each petition's
  dashboard (counts and the newest signers), the breakdown by region, the
  CSV and XLSX exports of confirmed signatures and the delivery report PDF.
  Staff without it get none of these screens (403) and no menu item: they
  see no signer.
- ``campaigns.change_signature``: signers' email addresses too, on the
  dashboard and in the exports.
- ``campaigns.delete_signature``: bulk invalidation (by IP address, email
  domain or time window), with a preview of what matches, a reason, a
  confirmation step and a record in the petition's history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from campaigns.petitions import admin_data
from campaigns.petitions.exports import signatures_response
from campaigns.petitions.models import PetitionCounter, PetitionPage, Signature
from campaigns.petitions.reports import REPORT_LANGUAGES, delivery_report_pdf

VIEW_PERMISSION = "campaigns.view_signature"
EMAIL_PERMISSION = "campaigns.change_signature"
INVALIDATE_PERMISSION = "campaigns.delete_signature"
INVALIDATE_LOG_ACTION = "petitions.signatures_invalidated"
AUTO_REFRESH_SECONDS = 30
PREVIEW_SAMPLE = 20


def can_view(user: Any) -> bool:
    return bool(user.is_active and user.has_perm(VIEW_PERMISSION))


def can_see_emails(user: Any) -> bool:
    return can_view(user) and user.has_perm(EMAIL_PERMISSION)


def can_invalidate(user: Any) -> bool:
    return can_view(user) and user.has_perm(INVALIDATE_PERMISSION)


def petition_or_404(pk: int) -> PetitionPage:
    return get_object_or_404(PetitionPage, pk=pk).canonical


class StaffView(WagtailAdminTemplateMixin, TemplateView):
    """An admin screen for staff who may see signers; ``self.petition`` is the canonical page when in the URL."""

    header_icon = "form"
    petition: PetitionPage | None = None

    def has_access(self, user: Any) -> bool:
        return can_view(user)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_access(request.user):
            raise PermissionDenied
        if "pk" in kwargs:
            self.petition = petition_or_404(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return self.petition.title if self.petition else ""

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        items = [*self.breadcrumbs_items, {"url": reverse("petitions_staff:index"), "label": _("Petitions")}]
        if self.petition is not None:
            items.append(
                {"url": reverse("petitions_staff:dashboard", args=[self.petition.pk]), "label": self.petition.title}
            )
        items.append({"url": "", "label": self.get_page_title()})
        return items

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "petition": self.petition,
                "can_see_emails": can_see_emails(self.request.user),
                "can_invalidate": can_invalidate(self.request.user),
            }
        )
        if self.petition is not None:
            context["links"] = petition_links(self.petition, self.request.user)
        return context


def petition_links(petition: PetitionPage, user: Any) -> list[tuple[str, str]]:
    """The petition's staff screens and downloads, as (label, address)."""
    links = [
        (_("Dashboard"), reverse("petitions_staff:dashboard", args=[petition.pk])),
        (_("By region"), reverse("petitions_staff:regions", args=[petition.pk])),
        (_("Export CSV"), reverse("petitions_staff:export", args=[petition.pk, "csv"])),
        (_("Export XLSX"), reverse("petitions_staff:export", args=[petition.pk, "xlsx"])),
        (_("Delivery report (English, PDF)"), reverse("petitions_staff:report", args=[petition.pk, "en"])),
        (_("Delivery report (Arabic, PDF)"), reverse("petitions_staff:report", args=[petition.pk, "ar"])),
    ]
    if can_invalidate(user):
        links.append((_("Invalidate signatures"), reverse("petitions_staff:invalidate", args=[petition.pk])))
    links.append((_("Edit the petition page"), reverse("wagtailadmin_pages:edit", args=[petition.pk])))
    return links


class PetitionIndexView(StaffView):
    template_name = "campaigns/petitions/admin/index.html"
    page_title = gettext_lazy("Petitions")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # One row per petition: translations share the original page's signatures.
        pages = PetitionPage.objects.order_by("pk").select_related("locale")
        originals: dict[Any, PetitionPage] = {}
        languages: dict[Any, list[str]] = {}
        for page in pages:
            originals.setdefault(page.translation_key, page)
            languages.setdefault(page.translation_key, []).append(page.locale.language_code)
        rows = sorted(
            originals.values(), key=lambda page: page.latest_revision_created_at or timezone.now(), reverse=True
        )
        totals = dict(
            PetitionCounter.objects.filter(petition__in=[p.pk for p in rows]).values_list("petition", "total")
        )
        context["petitions"] = [
            {
                "page": page,
                "confirmed": totals.get(page.pk, 0),
                "goal": page.goal,
                "state": page.get_state_display(),
                "languages": ", ".join(sorted(languages[page.translation_key])),
                "url": reverse("petitions_staff:dashboard", args=[page.pk]),
            }
            for page in rows
        ]
        return context


class DashboardView(StaffView):
    """Live counts and the newest signatures; a plain link reloads it, ``?auto=1`` reloads it every 30 s."""

    template_name = "campaigns/petitions/admin/dashboard.html"
    page_title = gettext_lazy("Petition dashboard")

    def get_page_title(self) -> str:
        return _("Signatures")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        petition = self.petition
        counts = admin_data.petition_counts(petition)
        auto = self.request.GET.get("auto") == "1"
        context.update(
            {
                "counts": counts,
                "goal": petition.goal,
                "progress": min(100, round(100 * counts.confirmed / petition.goal)) if petition.goal else None,
                "state": PetitionPage.State(petition.effective_state()).label,
                "recent": admin_data.recent_signatures(petition),
                "auto_refresh": AUTO_REFRESH_SECONDS if auto else None,
                "refresh_seconds": AUTO_REFRESH_SECONDS,
                "reload_url": self.request.path + ("?auto=1" if auto else ""),
                "now": timezone.localtime(),
                "public_url": petition.get_url(self.request),
            }
        )
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        response["Cache-Control"] = "private, no-store"
        return response


class RegionsView(StaffView):
    template_name = "campaigns/petitions/admin/regions.html"
    page_title = gettext_lazy("Confirmed signatures by region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        countries = admin_data.region_breakdown(self.petition)
        context.update({"countries": countries, "total": sum(country.count for country in countries)})
        return context


class ExportView(View):
    """``/export/csv/`` or ``/export/xlsx/``: exactly the confirmed signatures, streamed."""

    def get(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        if not can_view(request.user):
            raise PermissionDenied
        if fmt not in ("csv", "xlsx"):
            raise Http404
        petition = petition_or_404(pk)
        signatures = admin_data.confirmed_signatures(petition).only(
            "name", "email", "country", "region", "postcode", "city", "created_at", "confirmed_at", "comment"
        )
        return signatures_response(
            fmt, title=petition.title, signatures=signatures, with_email=can_see_emails(request.user)
        )


class ReportView(View):
    """The delivery report PDF, in English or Arabic."""

    def get(self, request: HttpRequest, pk: int, language: str) -> HttpResponse:
        if not can_view(request.user):
            raise PermissionDenied
        if language not in REPORT_LANGUAGES:
            raise Http404
        petition = petition_or_404(pk)
        response = HttpResponse(delivery_report_pdf(petition, language=language), content_type="application/pdf")
        name = f"petition-{petition.pk}-report-{language}-{timezone.localdate().isoformat()}.pdf"
        disposition = "attachment" if request.GET.get("download") else "inline"
        response["Content-Disposition"] = f'{disposition}; filename="{name}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# -- Bulk invalidation -----------------------------------------------------------------------------------


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class InvalidateForm(forms.Form):
    """Which signatures to set aside (every criterion given must match), and why."""

    ip = forms.GenericIPAddressField(
        label=gettext_lazy("IP address"),
        required=False,
        unpack_ipv4=True,
        help_text=gettext_lazy("Signatures sent from exactly this address."),
    )
    email_domain = forms.CharField(
        label=gettext_lazy("Email domain"),
        required=False,
        max_length=253,
        help_text=gettext_lazy("Signatures whose email address is at this domain, for example mailinator.com."),
    )
    since = forms.DateTimeField(
        label=gettext_lazy("Signed from"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
    )
    until = forms.DateTimeField(
        label=gettext_lazy("Signed before"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Recorded on each signature and in the petition's history."),
    )

    def clean_email_domain(self) -> str:
        domain = self.cleaned_data["email_domain"].strip().lower().lstrip("@").rstrip(".")
        if domain and ("." not in domain or any(ch.isspace() or ch == "@" for ch in domain)):
            raise ValidationError(_("Enter a domain such as example.com."))
        return domain

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        if not (data.get("ip") or data.get("email_domain") or data.get("since") or data.get("until")):
            raise ValidationError(_("Give an IP address, an email domain or a time window (or several)."))
        since, until = data.get("since"), data.get("until")
        if since and until and until <= since:
            self.add_error("until", _("The end of the window comes after its start."))
        return data

    def criteria(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "ip": data.get("ip") or "",
            "email_domain": data.get("email_domain") or "",
            "since": data.get("since"),
            "until": data.get("until"),
        }


def matching_signatures(petition: PetitionPage, criteria: dict[str, Any]) -> QuerySet[Signature]:
    """The pending and confirmed signatures that meet every criterion: the filter the service applies."""
    from campaigns.petitions.selectors import signatures_matching

    return signatures_matching(
        petition=petition,
        ip=criteria.get("ip") or None,
        domain=criteria.get("email_domain") or None,
        since=criteria.get("since"),
        until=criteria.get("until"),
    ).filter(status__in=Signature.ACTIVE)


def describe_criteria(criteria: dict[str, Any]) -> str:
    parts = []
    if criteria.get("ip"):
        parts.append(_("IP address %(ip)s") % {"ip": criteria["ip"]})
    if criteria.get("email_domain"):
        parts.append(_("email domain %(domain)s") % {"domain": criteria["email_domain"]})
    if criteria.get("since"):
        parts.append(_("signed from %(when)s") % {"when": _moment(criteria["since"])})
    if criteria.get("until"):
        parts.append(_("signed before %(when)s") % {"when": _moment(criteria["until"])})
    return "; ".join(parts)


def _moment(value: datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


class InvalidateView(StaffView):
    """Step 1: the criteria and reason (GET). Step 2: POST shows what matches. Step 3: POST with ``confirm``."""

    template_name = "campaigns/petitions/admin/invalidate.html"
    page_title = gettext_lazy("Invalidate signatures")

    def has_access(self, user: Any) -> bool:
        return can_invalidate(user)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=InvalidateForm(), step="criteria"))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = InvalidateForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form, step="criteria"), status=400)
        criteria = form.criteria()
        rows = matching_signatures(self.petition, criteria)
        matched = self._breakdown(rows)
        total = sum(matched.values())
        if "confirm" in request.POST:
            try:
                expected = int(request.POST.get("expected", ""))
            except ValueError:
                expected = -1
            if total == 0:
                messages.warning(request, _("No pending or confirmed signature matches any more; nothing changed."))
                return redirect("petitions_staff:dashboard", self.petition.pk)
            if expected != total:
                messages.warning(
                    request,
                    _(
                        "The signatures matching changed since the preview (now %(count)s). "
                        "Check them and confirm again."
                    )
                    % {"count": total},
                )
            else:
                done = self._invalidate(rows, form, criteria, total, matched)
                messages.success(
                    request,
                    _("%(count)s signatures invalidated. The public count has been recounted.") % {"count": done},
                )
                return redirect("petitions_staff:dashboard", self.petition.pk)
        sample = list(rows.order_by("-created_at", "-id")[:PREVIEW_SAMPLE])
        context = self.get_context_data(
            form=form,
            step="preview",
            total=total,
            matched=matched,
            sample=sample,
            described=describe_criteria(criteria),
            hidden=self._hidden(form),
        )
        return self.render_to_response(context)

    @staticmethod
    def _breakdown(rows: QuerySet[Signature]) -> dict[str, int]:
        from django.db.models import Count

        found = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
        return {status: found.get(status, 0) for status in Signature.ACTIVE}

    @staticmethod
    def _hidden(form: InvalidateForm) -> list[tuple[str, str]]:
        """The form's values as hidden fields for the confirmation step (times as the input writes them)."""
        values = []
        for name in ("ip", "email_domain", "since", "until", "reason"):
            value = form.cleaned_data.get(name)
            if isinstance(value, datetime):
                value = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M:%S")
            values.append((name, "" if value is None else str(value)))
        return values

    def _invalidate(
        self,
        rows: QuerySet[Signature],
        form: InvalidateForm,
        criteria: dict[str, Any],
        total: int,
        matched: dict[str, int],
    ) -> int:
        from wagtail.log_actions import log

        from campaigns.petitions.services import signatures_invalidate

        ids = list(rows.values_list("id", flat=True))
        reason = form.cleaned_data["reason"]
        done = signatures_invalidate(
            petition=self.petition,
            ip=criteria["ip"] or None,
            domain=criteria["email_domain"] or None,
            since=criteria["since"],
            until=criteria["until"],
            user=self.request.user,
            reason=reason,
        )
        log(
            instance=self.petition,
            action=INVALIDATE_LOG_ACTION,
            user=self.request.user,
            data={
                "criteria": {
                    key: (_moment(value) if isinstance(value, datetime) else value) for key, value in criteria.items()
                },
                "described": describe_criteria(criteria),
                "reason": reason,
                "matched": matched,
                "invalidated": done,
                "first_id": min(ids) if ids else None,
                "last_id": max(ids) if ids else None,
            },
        )
        return done

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["history_url"] = reverse("wagtailadmin_pages:history", args=[self.petition.pk])
        return context
