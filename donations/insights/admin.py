"""The Insights section of the Wagtail admin: staff with ``donations.view_insights`` only.

Each section page shows its charts, each with its data table below it and a
CSV or XLSX download (``?export=csv&panel=heatmap``) of exactly that table.
Filters (dates, channel, campaign or designation page, fund) apply to every
panel of the page. The rates table and the day annotations are kept here too.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet

from donations.choices import Surface
from donations.insights import charts, hijri, selectors
from donations.insights.models import DonorRollup, ExchangeRate, FoldState, SpikeAnnotation
from donations.insights.rates import exchange_rates_import
from donations.insights.selectors import Scope, Table
from donations.insights.services import annotation_add, insights_fold, organisation_reporting
from donations.ledger.exports import export_response
from donations.money import format_money, to_major

PERMISSION = "donations.view_insights"
# With Celery eager (no worker, no beat), a page folds new gifts itself when the rollups are older than this.
EAGER_FRESHNESS = timedelta(seconds=60)
# Figures not kept by the fold (survey answers, signatures) are at most this old on a cached page.
CACHE_SECONDS = 300


def can_view(user: Any) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm(PERMISSION))


class DateInput(forms.DateInput):
    input_type = "date"


class ScopeForm(forms.Form):
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    until = forms.DateField(label=gettext_lazy("To (inclusive)"), required=False, widget=DateInput)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    designation = forms.ChoiceField(label=gettext_lazy("Scope"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("Every channel")), *Surface.choices]
        self.fields["designation"].choices = designation_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end of the range is before its start."))
        return data

    def scope(self) -> Scope:
        data = self.cleaned_data if self.is_valid() else {}
        kind, _sep, pk = (data.get("designation") or "").partition(":")
        return Scope(
            since=data.get("since"),
            until=data.get("until"),
            surface=data.get("channel") or "",
            page_id=int(pk) if kind == "page" and pk.isdigit() else 0,
            fund_id=int(pk) if kind == "fund" and pk.isdigit() else 0,
        )


def designation_choices() -> list[tuple[str, str]]:
    """The whole organisation, each campaign or designation page and each fund that has gifts."""
    from wagtail.models import Page

    from donations.models import Fund

    choices = [("", _("The whole organisation"))]
    # The pages with gifts, from the donor rollup's page slice (a few rows a day, not every hour's).
    page_ids = [
        int(value)
        for value in DonorRollup.objects.filter(slice="page").values_list("value", flat=True).order_by().distinct()
    ]
    for pk, title in Page.objects.filter(pk__in=page_ids).order_by("title").values_list("pk", "title"):
        choices.append((f"page:{pk}", _("Page: %(title)s") % {"title": title}))
    for fund in Fund.objects.order_by("name"):
        choices.append((f"fund:{fund.pk}", _("Fund: %(name)s") % {"name": fund.display_name}))
    return choices


@dataclass
class Panel:
    key: str
    title: str
    table: Table
    chart: Any = ""
    intro: str = ""
    summary: list[tuple[str, str]] | None = None
    heatmap: list[dict[str, Any]] | None = None
    shown: list[list[Any]] | None = None  # the table's rows as the page shows them (money formatted)


SECTIONS = [
    ("when", gettext_lazy("When people give")),
    ("calendar", gettext_lazy("Hijri calendar")),
    ("gifts", gettext_lazy("Gifts and monthly giving")),
    ("donors", gettext_lazy("Donors")),
    ("sources", gettext_lazy("Channels, sources and countries")),
    ("people", gettext_lazy("Demographics and advocacy")),
]


def table_body(rows: list[list[Any]], numeric: set[int]) -> SafeString:
    """A data table's rows as HTML, exactly as the template would render them (localized, escaped).

    Built here rather than by template loops: a year of days is thousands of cells, which the
    template engine takes most of a page's time to render.
    """
    lines = []
    plain_ints = not settings.USE_THOUSAND_SEPARATOR  # then localize() gives an int's digits as they are
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            kind = type(cell)
            if kind is int and plain_ints:
                text = str(cell)
            elif kind is str:  # plain text (not safe HTML, a subclass): localize() leaves it as it is
                text = html.escape(cell)
            elif isinstance(cell, date):
                # Days as 2026-12-03, as the month tables show 2026-12 (and localizing a year of dates is slow).
                text = cell.isoformat()
            else:
                text = conditional_escape(localize(cell))
            if index == 0:
                cells.append(f'<th scope="row">{text}</th>')
            else:
                cells.append(f'<td class="num">{text}</td>' if index in numeric else f"<td>{text}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return mark_safe("\n".join(lines))  # noqa: S308 - every cell escaped above


class InsightsView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "donations/insights/section.html"
    header_icon = "view"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view(request.user):
            raise PermissionDenied
        self.section = kwargs.get("section", "when")
        if self.section not in dict(SECTIONS):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self) -> str:
        return str(dict(SECTIONS)[self.section])

    def get_page_subtitle(self) -> str:
        return _("Insights")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            state = FoldState.objects.filter(pk=1).values_list("folded_at", flat=True).first()
            if state is None or timezone.now() - state > EAGER_FRESHNESS:
                insights_fold()
        self.filters = ScopeForm(request.GET or None)
        self.scope = self.filters.scope()
        self.currency, self.time_zone = organisation_reporting()
        fmt = request.GET.get("export")
        if fmt in ("csv", "xlsx"):
            panel = next((p for p in self.panels() if p.key == request.GET.get("panel")), None)
            if panel is None:
                raise Http404
            headers, rows = self.export(panel.table)
            return export_response(fmt, f"insights-{panel.key}", headers, rows)
        return super().get(request, *args, **kwargs)

    # -- Figures --------------------------------------------------------------------------------------

    def money(self, minor: int) -> str:
        return format_money(minor, self.currency, get_language())

    def export(self, table: Table) -> tuple[list[str], list[list[Any]]]:
        headers = [
            f"{header} ({self.currency})" if index in table.money else str(header)
            for index, header in enumerate(table.headers)
        ]
        rows = [
            [
                to_major(cell, self.currency) if index in table.money and isinstance(cell, int) else cell
                for index, cell in enumerate(row)
            ]
            for row in table.rows
        ]
        rows.append([])
        rows.append([_("Rates"), self.rates.sentence()])
        return headers, rows

    def shown(self, table: Table) -> list[list[Any]]:
        return [
            [
                self.money(cell) if index in table.money and isinstance(cell, int) else cell
                for index, cell in enumerate(row)
            ]
            for row in table.rows
        ]

    def panels(self) -> list[Panel]:
        """The section's panels, cached until the figures change (a fold, an annotation) or CACHE_SECONDS pass."""
        if hasattr(self, "_panels"):
            return self._panels
        scope = self.scope
        found = cache.get(self.figures_key())
        if found is None:
            rates = selectors.rates_used(scope, self.currency)
            self.rates = rates
            panels = getattr(self, f"panels_{self.section}")(scope)
            for panel in panels:
                panel.shown = self.shown(panel.table)
            found = (panels, rates)
            cache.set(self.figures_key(), found, CACHE_SECONDS)
        self._panels, self.rates = found
        return self._panels

    def fold_state(self) -> FoldState | None:
        if not hasattr(self, "_state"):
            self._state = FoldState.objects.filter(pk=1).first()
        return self._state

    def figures_key(self) -> str:
        """The cache key of this section's figures: they change with a fold or an annotation (the version)."""
        if not hasattr(self, "_key"):
            state = self.fold_state()
            version = state.version if state else 0
            scope = (version, self.section, get_language(), self.currency, self.time_zone, self.scope)
            self._key = "insights:" + hashlib.sha256(repr(scope).encode()).hexdigest()
        return self._key

    def panels_when(self, scope: Scope) -> list[Panel]:
        heat = selectors.heatmap(scope)
        top = heat.peak.gifts
        grid = [
            {
                "weekday": str(WEEKDAYS[weekday]),
                "cells": [
                    {"cell": heat.cell(weekday, hour), "style": charts.heat_style(heat.cell(weekday, hour).gifts, top)}
                    for hour in range(24)
                ],
            }
            for weekday in range(7)
        ]
        days = selectors.daily(scope)
        points = [(d.day, d.amount, d.spike, "; ".join(d.notes)) for d in days.days]
        return [
            Panel(
                "heatmap",
                _("Hour of day by weekday"),
                heat.table(),
                intro=_("Gifts per hour in the organisation's time zone (%(zone)s); darker means more gifts.")
                % {"zone": self.time_zone},
                heatmap=grid,
            ),
            Panel(
                "daily",
                _("Giving per day, with spikes and annotations"),
                days.table(),
                charts.line_chart("daily", _("Amount given per day"), points),
                intro=_(
                    "A day is a spike when its robust z-score (median and MAD of the previous %(window)s days) "
                    "is %(threshold)s or more. Stars mark annotated days."
                )
                % {"window": selectors.SPIKE_WINDOW, "threshold": selectors.SPIKE_THRESHOLD},
            ),
            Panel(
                "spikes", _("Spikes"), days.table(spikes_only=True), intro=_("Annotate a spike at the end of the page.")
            ),
        ]

    def panels_calendar(self, scope: Scope) -> list[Panel]:
        totals = selectors.daily_totals(scope)  # read once for the four calendars
        hijri_months = selectors.hijri_months(scope, totals)
        gregorian = selectors.gregorian_months(scope, totals)
        ramadan = selectors.ramadan_nights(scope, totals)
        yoy = selectors.hijri_year_over_year(scope, totals)
        ramadan_bars = []
        for row in ramadan.rows:
            ramadan_bars.append(
                charts.Bar(_("%(year)s: first twenty, per day") % {"year": row.year}, row.first_per_day)
            )
            ramadan_bars.append(
                charts.Bar(_("%(year)s: last ten, per day") % {"year": row.year}, row.last_per_day, marked=True)
            )
        yoy_bars = [
            charts.Bar(f"{hijri.month_name(month)} {year}", yoy.amounts.get((year, month), 0), month == hijri.RAMADAN)
            for year in yoy.years
            for month in range(1, 13)
        ]
        calendar_note = _("Hijri dates from the %(calendar)s, by each gift's local date.") % {
            "calendar": hijri.source()
        }
        return [
            Panel(
                "hijri_months",
                _("Giving by Hijri month"),
                hijri_months.table(),
                charts.bar_chart(
                    "hijri",
                    _("Amount given per Hijri month"),
                    [charts.Bar(r.label, r.amount, r.marked, "; ".join(r.notes)) for r in hijri_months.rows],
                ),
                intro=_("Sha'ban, Ramadan and Dhu al-Hijjah are hatched. ") + calendar_note,
            ),
            Panel(
                "gregorian_months",
                _("Giving by Gregorian month"),
                gregorian.table(),
                charts.bar_chart(
                    "gregorian",
                    _("Amount given per month"),
                    [charts.Bar(r.label, r.amount, False, "; ".join(r.notes)) for r in gregorian.rows],
                ),
            ),
            Panel(
                "ramadan",
                _("The last ten nights of Ramadan against the first twenty days"),
                ramadan.table(),
                charts.bar_chart("ramadan", _("Amount per day in Ramadan"), ramadan_bars),
            ),
            Panel(
                "hijri_yoy",
                _("Year over year, aligned by Hijri month"),
                yoy.table(),
                charts.bar_chart("yoy", _("Amount per Hijri month, year after year"), yoy_bars),
            ),
        ]

    def panels_gifts(self, scope: Scope) -> list[Panel]:
        sizes = selectors.gift_sizes(scope, self.currency)
        split = selectors.frequency_split(scope)
        # From the rollups; a scope they have no slice for groups the monthly payments once for both.
        by_month = None if selectors.donor_slice(scope) else selectors.monthly_amounts(scope)
        mrr = selectors.mrr(scope, by_month)
        cohorts = selectors.retention_cohorts(scope, by_month)
        return [
            Panel(
                "sizes",
                _("Gift sizes"),
                sizes.table(),
                charts.bar_chart(
                    "sizes",
                    _("Gifts by size"),
                    [charts.Bar(self.money(low), count) for low, _high, count in sizes.buckets],
                ),
                summary=[
                    (_("Gifts"), str(sizes.gifts)),
                    (_("Mean"), self.money(sizes.mean)),
                    (_("Median"), self.money(sizes.median)),
                ],
            ),
            Panel(
                "frequency",
                _("One-time against monthly"),
                split.table(),
                charts.bar_chart("frequency", _("Amount by frequency"), [charts.Bar(r[1], r[3]) for r in split.rows]),
            ),
            Panel(
                "mrr",
                _("Monthly recurring revenue and its movement"),
                mrr.table(),
                charts.bar_chart(
                    "mrr",
                    _("Monthly recurring revenue"),
                    [charts.Bar(r.month.strftime("%Y-%m"), r.mrr) for r in mrr.rows],
                ),
                intro=_(
                    "From the monthly gifts paid each month: new (first payment), expanded and contracted "
                    "(a different amount than the month before), churned (paid the month before, not this month)."
                ),
            ),
            Panel(
                "cohorts",
                _("Retention of monthly donors by start month"),
                cohorts.table(),
                intro=_("The share of each month's new monthly gifts still paid k months later."),
            ),
        ]

    def panels_donors(self, scope: Scope) -> list[Panel]:
        found = selectors.donors(scope)
        return [
            Panel(
                "donors",
                _("New against returning donors"),
                found.table(),
                charts.bar_chart(
                    "donors",
                    _("New donors per month"),
                    [charts.Bar(m.strftime("%Y-%m"), new) for m, new, _r in found.rows],
                ),
                summary=[
                    (_("First-time donors in the range"), str(found.first_time)),
                    (_("…who gave a second time"), f"{found.converted} ({round(100 * found.conversion)}%)"),
                    (_("Lapsed donors (no gift in 13 months)"), str(found.lapsed)),
                ],
            )
        ]

    def panels_sources(self, scope: Scope) -> list[Panel]:
        panels = []
        surfaces = selectors.surface_split(scope)
        panels.append(
            Panel(
                "channels",
                _("Embed against page (channel)"),
                surfaces.table(),
                charts.bar_chart("channels", _("Amount by channel"), [charts.Bar(r[1], r[3]) for r in surfaces.rows]),
            )
        )
        dimensions = ["utm_source", "utm_medium", "utm_campaign", "referrer", "device", "payment_method", "country"]
        for dimension, split in selectors.source_splits(scope, dimensions).items():
            panels.append(
                Panel(
                    dimension,
                    split.title,
                    split.table(),
                    charts.bar_chart(dimension, split.title, [charts.Bar(r[1], r[3]) for r in split.rows[:12]]),
                )
            )
        return panels

    def panels_people(self, scope: Scope) -> list[Panel]:
        panels = []
        for question, title in (("age_band", _("Age")), ("gender", _("Gender")), ("country", _("Country lived in"))):
            groups = selectors.demographics(question)
            intro = _(
                "Only answers given with consent, and only groups of at least %(k)s people; smaller groups are "
                "merged, and hidden if still too small."
            ) % {"k": selectors.MIN_GROUP}
            if groups.hidden:
                intro += " " + _("%(n)s answers are hidden.") % {"n": groups.hidden}
            panels.append(
                Panel(
                    f"demographics_{question}",
                    title,
                    groups.table(),
                    charts.bar_chart(f"demo-{question}", title, [charts.Bar(label, n) for label, n in groups.rows]),
                    intro=intro,
                )
            )
        advocacy = selectors.advocacy(scope)
        panels.append(
            Panel(
                "advocacy",
                _("Advocacy to giving"),
                advocacy.table(),
                intro=_("People whose first action falls in the range, and whether they gave after it."),
            )
        )
        return panels

    def panels_html(self) -> tuple[str, str]:
        """The panels as HTML and the rates sentence, cached with the figures (the table rows are most of a
        page's rendering; a cached page reads only this, not the figures behind it)."""
        key = f"{self.figures_key()}:page:" + hashlib.sha256(self.request.GET.urlencode().encode()).hexdigest()
        found = cache.get(key)
        if found is None:
            panels = self.panels()
            query = self.request.GET.copy()
            query.pop("export", None)
            rendered = []
            for panel in panels:
                links = []
                for fmt, label in (("csv", "CSV"), ("xlsx", "XLSX")):
                    query["export"], query["panel"] = fmt, panel.key
                    links.append((label, f"?{query.urlencode()}"))
                body = table_body(panel.shown, panel.table.numeric)
                rendered.append({"panel": panel, "rows": panel.shown, "body": body, "links": links})
            context = {"panels": rendered}
            html = render_to_string("donations/insights/_panels.html", context, request=self.request)
            found = (html, self.rates.sentence())
            cache.set(key, found, CACHE_SECONDS)
        html, rates_sentence = found
        return mark_safe(html), rates_sentence  # noqa: S308 - rendered by our own template, escaped there

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        panels_html, rates_sentence = self.panels_html()
        state = self.fold_state()
        context.update(
            {
                "filters": self.filters,
                "panels_html": panels_html,
                "sections": [
                    (key, label, reverse("donations_insights:section", args=[key])) for key, label in SECTIONS
                ],
                "section": self.section,
                "rates_sentence": rates_sentence,
                "folded_at": state.folded_at if state else None,
                "query": self.request.GET.urlencode(),
                "annotation_form": AnnotationForm() if self.section == "when" else None,
            }
        )
        return context


class AnnotationForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=DateInput)
    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=200, help_text=gettext_lazy("For example “earthquake appeal”.")
    )


@require_POST
def annotation_create(request: HttpRequest) -> HttpResponse:
    if not can_view(request.user):
        raise PermissionDenied
    form = AnnotationForm(request.POST)
    target = reverse("donations_insights:section", args=["when"])
    if form.is_valid():
        annotation_add(day=form.cleaned_data["day"], note=form.cleaned_data["note"], user=request.user)
        messages.success(request, _("Annotation saved."))
    else:
        messages.error(request, _("Give the annotation a day and a note."))
    return redirect(target)


class RateImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "Columns currency, valid_from and rate; one unit of the currency in the reporting currency."
        ),
    )


class RateImportView(WagtailAdminTemplateMixin, FormView):
    template_name = "donations/insights/rate_import.html"
    form_class = RateImportForm
    page_title = gettext_lazy("Import exchange rates")
    header_icon = "upload"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm("donations.add_exchangerate"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["reporting_currency"] = organisation_reporting()[0]
        return context

    def form_valid(self, form: RateImportForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            form.add_error("file", _("The file is larger than 2 MB."))
            return self.form_invalid(form)
        result = exchange_rates_import(
            data=upload.read(), reporting_currency=organisation_reporting()[0], source=f"csv:{upload.name}"
        )
        if result.errors:
            for line, message in result.errors:
                form.add_error(
                    None, _("Line %(line)s: %(message)s") % {"line": line, "message": message} if line else message
                )
            form.add_error(None, _("Nothing was imported; correct the file and try again."))
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(created)s rates added and %(updated)s updated.")
            % {"created": result.created, "updated": result.updated},
        )
        return redirect("donations_exchangerate:index")


class ExchangeRateViewSet(ModelViewSet):
    model = ExchangeRate
    icon = "pick"
    menu_label = gettext_lazy("Exchange rates")
    url_prefix = "insights-rates"
    name = "donations_exchangerate"
    add_to_admin_menu = False
    form_fields = ["currency", "reporting_currency", "valid_from", "rate", "source"]
    list_display = ["currency", "reporting_currency", "valid_from", "rate", "source"]
    list_filter = ["currency"]
    copy_view_enabled = False


class SpikeAnnotationViewSet(ModelViewSet):
    model = SpikeAnnotation
    icon = "comment"
    menu_label = gettext_lazy("Annotations")
    url_prefix = "insights-annotations"
    name = "donations_spikeannotation"
    add_to_admin_menu = False
    form_fields = ["day", "note"]
    list_display = ["day", "note", "created_by"]
    copy_view_enabled = False


@hooks.register("register_admin_viewset")
def register_rate_viewsets() -> list[ModelViewSet]:
    return [ExchangeRateViewSet(), SpikeAnnotationViewSet()]


@hooks.register("register_admin_urls")
def register_insights_urls() -> list[Any]:
    urls = [
        path("", InsightsView.as_view(), name="index"),
        path("annotate/", annotation_create, name="annotate"),
        path("rates/import/", RateImportView.as_view(), name="rate_import"),
        path("<slug:section>/", InsightsView.as_view(), name="section"),
    ]
    return [path("insights/", include((urls, "donations_insights")))]


class InsightsMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return can_view(request.user)


class RatesMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return request.user.has_perm("donations.view_exchangerate") or request.user.has_perm(
            "donations.change_exchangerate"
        )


@hooks.register("register_admin_menu_item")
def register_insights_menu() -> SubmenuMenuItem:
    items = [
        InsightsMenuItem(label, f"/admin/insights/{key}/", icon_name="view", order=10 * index)
        for index, (key, label) in enumerate(SECTIONS, start=1)
    ]
    items.append(RatesMenuItem(gettext_lazy("Exchange rates"), "/admin/insights-rates/", icon_name="pick", order=80))
    items.append(
        InsightsMenuItem(gettext_lazy("Annotations"), "/admin/insights-annotations/", icon_name="comment", order=90)
    )
    return SubmenuMenuItem(gettext_lazy("Insights"), Menu(items=items), icon_name="view", order=155)
