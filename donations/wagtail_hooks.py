"""Giving in the Wagtail admin: gifts, monthly gifts, funds, the fee schedule and gateway events."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from cms.currencies import SUPPORTED_CURRENCIES
from donations import staff_views
from donations.choices import Frequency, Surface
from donations.models import Donation, FeeRule, Fund, RecurringGift, WebhookEvent

for model in (Donation, RecurringGift, WebhookEvent):
    register_permission_policy(model, staff_views.ServicesOnlyPolicy(model))


class DonationFilterSet(WagtailFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Donation.Status.choices, label=_("Status"))
    created_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)
    currency = django_filters.ChoiceFilter(choices=[(c, c) for c in SUPPORTED_CURRENCIES], label=_("Currency"))
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices, label=_("Frequency"))
    surface = django_filters.ChoiceFilter(choices=Surface.choices, label=_("Channel"))
    referrer_class = django_filters.ChoiceFilter(
        label=_("Came from"),
        choices=[
            ("direct", _("Direct")),
            ("internal", _("This site")),
            ("search", _("Search engine")),
            ("social", _("Social media")),
            ("email", _("Email")),
            ("other", _("Other site")),
        ],
    )
    designation = django_filters.CharFilter(label=_("Designation"), method="filter_designation")
    gateway = django_filters.ChoiceFilter(choices=Donation._meta.get_field("gateway").choices, label=_("Gateway"))

    class Meta:
        model = Donation
        fields = ["status", "created_at", "currency", "frequency", "surface", "referrer_class", "gateway"]

    def filter_designation(self, queryset: QuerySet[Donation], name: str, value: str) -> QuerySet[Donation]:
        """A fund or campaign page by name (either language)."""
        return queryset.filter(
            Q(fund__name__icontains=value)
            | Q(fund__name_ar__icontains=value)
            | Q(designation_page__title__icontains=value)
        )


class DonationViewSet(ModelViewSet):
    model = Donation
    icon = "tag"
    menu_label = _("Gifts")
    url_prefix = "donations/gifts"
    name = "donations_donation"
    add_to_reference_index = False  # gifts are never edited here; keep saves cheap
    inspect_view_enabled = True
    inspect_view_class = staff_views.DonationInspectView
    copy_view_enabled = False
    form_fields = []  # never edited here (see ServicesOnlyPolicy)
    filterset_class = DonationFilterSet
    search_fields = ["supporter__name", "supporter__email", "payment_intent_id", "offline_reference"]
    search_backend_name = None
    list_per_page = 50
    list_display = [
        "short_reference",
        Column("donor", label=_("Donor"), accessor=lambda gift: gift.supporter.name or gift.supporter.email),
        staff_views.money_column("amount", _("Amount")),
        Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
        Column("frequency", label=_("Frequency"), accessor="get_frequency_display"),
        Column("designation", label=_("For"), accessor="designation_label"),
        Column("surface", label=_("Channel"), accessor="get_surface_display"),
        DateColumn("created_at", label=_("Date"), sort_key="created_at"),
    ]
    list_export = [
        "reference", "created_at", "status", "frequency", "amount_minor", "currency", "fee_covered_minor",
        "amount_refunded_minor", "gateway", "surface", "utm_source", "utm_medium", "utm_campaign", "referrer_class",
        "device_class",
    ]  # fmt: skip
    export_filename = "gifts"

    def get_queryset(self, request: Any) -> QuerySet[Donation]:
        return Donation.objects.select_related("supporter", "fund", "designation_page")


class RecurringGiftFilterSet(WagtailFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RecurringGift.Status.choices, label=_("Status"))
    currency = django_filters.ChoiceFilter(choices=[(c, c) for c in SUPPORTED_CURRENCIES], label=_("Currency"))
    past_due = django_filters.BooleanFilter(
        label=_("Past due (the gateway's last retry failed)"), method="filter_past_due"
    )

    class Meta:
        model = RecurringGift
        fields = ["status", "currency", "gateway"]

    def filter_past_due(self, queryset: QuerySet[RecurringGift], name: str, value: bool | None):
        if value is None:
            return queryset
        past_due = Q(status=RecurringGift.Status.PAST_DUE)
        return queryset.filter(past_due) if value else queryset.exclude(past_due)


class RecurringGiftViewSet(ModelViewSet):
    model = RecurringGift
    icon = "history"
    menu_label = _("Monthly gifts")
    url_prefix = "donations/monthly"
    name = "donations_recurring"
    add_to_reference_index = False  # gifts are never edited here; keep saves cheap
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = []
    filterset_class = RecurringGiftFilterSet
    search_fields = ["supporter__name", "supporter__email", "subscription_id"]
    search_backend_name = None
    list_display = [
        "supporter",
        staff_views.money_column("amount", _("Each month")),
        Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
        Column("designation", label=_("For"), accessor="designation_label"),
        DateColumn("created_at", label=_("Started"), sort_key="created_at"),
        DateColumn("past_due_since", label=_("Past due since"), sort_key="past_due_since"),
    ]
    inspect_view_fields = [
        "reference", "supporter", "amount_minor", "currency", "fee_covered_minor", "status", "gateway",
        "subscription_id", "next_charge_on", "day_of_month", "paused_until", "past_due_since", "payment_card",
        "canceled_at", "created_at",
    ]  # fmt: skip

    def get_queryset(self, request: Any) -> QuerySet[RecurringGift]:
        return RecurringGift.objects.select_related("supporter", "fund", "designation_page")


class FundViewSet(ModelViewSet):
    model = Fund
    icon = "folder"
    menu_label = _("Funds")
    url_prefix = "donations/funds"
    name = "donations_fund"
    form_fields = ["name", "name_ar", "description", "zakat_eligible", "restricted", "active"]
    list_display = ["name", "name_ar", "zakat_eligible", "restricted", "active"]
    search_fields = ["name", "name_ar"]


class FeeRuleViewSet(ModelViewSet):
    model = FeeRule
    icon = "sliders"
    menu_label = _("Card fee schedule")
    url_prefix = "donations/fees"
    name = "donations_feerule"
    form_fields = ["currency", "percent_bp", "fixed_minor"]
    list_display = ["currency", "percent_bp", "fixed_minor"]


class WebhookEventViewSet(ModelViewSet):
    model = WebhookEvent
    icon = "tasks"
    menu_label = _("Gateway events")
    url_prefix = "donations/events"
    name = "donations_webhookevent"
    add_to_reference_index = False  # gifts are never edited here; keep saves cheap
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = []
    search_fields = ["event_id", "event_type"]
    search_backend_name = None
    list_filter = ["status", "gateway", "event_type"]
    list_display = [
        "event_type",
        Column("gateway", label=_("Gateway")),
        Column("status", label=_("Status"), accessor="get_status_display"),
        Column("attempts", label=_("Attempts")),
        DateColumn("received_at", label=_("Received"), sort_key="received_at"),
    ]
    inspect_view_fields = ["gateway", "event_id", "event_type", "created", "status", "attempts", "last_error",
                           "received_at", "processed_at", "payload"]  # fmt: skip


class GivingGroup(ModelViewSetGroup):
    menu_label = _("Giving")
    menu_icon = "tag"
    menu_order = 150
    items = (DonationViewSet, RecurringGiftViewSet, FundViewSet, FeeRuleViewSet, WebhookEventViewSet)


@hooks.register("register_admin_viewset")
def register_giving() -> GivingGroup:
    return GivingGroup()


@hooks.register("register_admin_urls")
def register_staff_urls() -> list[Any]:
    urls = [
        path("<int:pk>/refund/", staff_views.RefundView.as_view(), name="refund"),
        path("<int:pk>/evidence/", staff_views.evidence_download, name="evidence"),
        path("offline/new/", staff_views.OfflineGiftView.as_view(), name="offline"),
    ]
    return [path("donations/staff/", include((urls, "donations_staff")))]


class OfflineGiftMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return request.user.has_perm("donations.record_offline_donation")


@hooks.register("register_admin_menu_item")
def register_offline_gift_item() -> MenuItem:
    return OfflineGiftMenuItem(
        _("Record an offline gift"), "/admin/donations/staff/offline/new/", icon_name="plus", order=151
    )


from donations.insights import admin as _insights_admin  # noqa: E402, F401 - the Insights section
from donations.ledger import admin as _ledger_admin  # noqa: E402, F401 - the auditor workspace and expenses
from donations.receipts import admin as _receipts_admin  # noqa: E402, F401 - annual statements
