"""Proposals in the Wagtail admin: rounds (staff edit them), proposals (moderated, never edited directly)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import include, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail import hooks
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from campaigns.proposals import services
from campaigns.proposals.forms import ModerationForm
from campaigns.proposals.models import Proposal, ProposalRound
from campaigns.proposals.selectors import ranking_cache_clear

MODERATE = "campaigns.moderate_proposal"


class ModerationOnlyPolicy(ModelPermissionPolicy):
    """Proposals change only through moderation: the admin lists and inspects them, never edits or adds."""

    FORBIDDEN = frozenset({"add", "change", "delete"})

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action == "view":
            return super().user_has_permission(user, "view") or user.has_perm(MODERATE)
        return action not in self.FORBIDDEN and super().user_has_permission(user, action)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions: Any) -> Any:
        return super().users_with_any_permission(set(actions) - self.FORBIDDEN)


register_permission_policy(Proposal, ModerationOnlyPolicy(Proposal))


class ProposalInspectView(InspectView):
    template_name = "campaigns/proposals/admin/proposal_inspect.html"

    def get_object(self, queryset: Any = None) -> Proposal:
        return get_object_or_404(Proposal.objects.select_related("supporter", "round", "campaign"), pk=self.pk)

    def get_fields(self) -> list[str]:
        return []

    @property
    def header_more_buttons(self) -> list[Button]:
        if services.ALLOWED_TRANSITIONS[self.object.status] and self.request.user.has_perm(MODERATE):
            return [
                Button(
                    _("Moderate"),
                    url=reverse("proposals_staff:moderate", args=[self.object.pk]),
                    icon_name="tick",
                    priority=10,
                )
            ]
        return []

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["proposal"] = self.object
        context["transitions"] = self.object.transitions.select_related("by")
        context["can_moderate"] = bool(services.ALLOWED_TRANSITIONS[self.object.status]) and self.request.user.has_perm(
            MODERATE
        )
        return context


class ProposalViewSet(ModelViewSet):
    model = Proposal
    icon = "help"
    menu_label = gettext_lazy("Proposals")
    url_prefix = "proposals/proposals"
    name = "proposals_proposal"
    inspect_view_enabled = True
    inspect_view_class = ProposalInspectView
    copy_view_enabled = False
    form_fields = []
    list_filter = ["status", "round"]
    search_fields = ["title", "body", "supporter__email"]
    search_backend_name = None
    list_display = [
        "title",
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display", sort_key="status"),
        Column("vote_count", label=gettext_lazy("Votes"), sort_key="vote_count"),
        Column(
            "ready",
            label=gettext_lazy("Ready for decision"),
            accessor=lambda proposal: _("Yes") if proposal.is_ready else "",
        ),
        Column("round", label=gettext_lazy("Round")),
        Column("supporter", label=gettext_lazy("Proposed by"), accessor=lambda proposal: proposal.supporter.email),
        DateColumn("created_at", label=gettext_lazy("Proposed"), sort_key="created_at"),
    ]

    def get_queryset(self, request: Any) -> QuerySet[Proposal]:
        return Proposal.objects.select_related("supporter", "round")


class ProposalRoundViewSet(ModelViewSet):
    model = ProposalRound
    icon = "date"
    menu_label = gettext_lazy("Voting rounds")
    url_prefix = "proposals/rounds"
    name = "proposals_round"
    form_fields = ["name", "name_ar", "opens_at", "closes_at", "votes_per_supporter", "ready_threshold"]
    list_display = ["name", "opens_at", "closes_at", "votes_per_supporter", "ready_threshold"]
    search_fields = ["name", "name_ar"]
    search_backend_name = None


class ProposalsGroup(ModelViewSetGroup):
    menu_label = gettext_lazy("Proposals")
    menu_icon = "help"
    menu_order = 260
    items = (ProposalViewSet, ProposalRoundViewSet)


@hooks.register("register_admin_viewset")
def register_proposals() -> ProposalsGroup:
    return ProposalsGroup()


class ModerateView(WagtailAdminTemplateMixin, FormView):
    """Publish, reject or adopt one proposal; the proposer is emailed."""

    template_name = "donations/admin/form.html"
    form_class = ModerationForm
    page_title = gettext_lazy("Moderate a proposal")
    header_icon = "help"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(MODERATE):
            raise PermissionDenied
        self.proposal = get_object_or_404(Proposal, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return self.proposal.title

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "allowed": services.ALLOWED_TRANSITIONS[self.proposal.status]}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["intro"] = _("Now: %(status)s, %(votes)d votes. %(body)s") % {
            "status": self.proposal.get_status_display(),
            "votes": self.proposal.vote_count,
            "body": self.proposal.short_body,
        }
        context["submit_label"] = _("Record the decision")
        return context

    def form_valid(self, form: ModerationForm) -> HttpResponse:
        try:
            services.proposal_transition(
                proposal_id=self.proposal.pk,
                to_status=form.cleaned_data["action"],
                user=self.request.user,
                note=form.cleaned_data["note"],
                campaign=form.cleaned_data.get("campaign"),
            )
        except ValidationError as error:
            for problem in error.messages:
                form.add_error(None, problem)
            return self.form_invalid(form)
        messages.success(self.request, _("Decision recorded; the proposer is told by email."))
        return redirect("proposals_proposal:inspect", self.proposal.pk)


@hooks.register("register_admin_urls")
def register_moderation_urls() -> list[Any]:
    urls = [path("<int:pk>/moderate/", ModerateView.as_view(), name="moderate")]
    return [path("proposals/staff/", include((urls, "proposals_staff")))]


def _round_saved(**_kwargs: Any) -> None:
    ranking_cache_clear()  # a new limit, threshold or date shows at once


post_save.connect(_round_saved, sender=ProposalRound, dispatch_uid="proposals_round_saved")
