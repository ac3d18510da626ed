"""The auditor workspace in the Wagtail admin, and staff expenses with four-eyes approval.

Reports (ledger browser, trial balance, designation totals, reconciliation,
audit log) are read-only and open to the Auditors group (``donations.audit_ledger``);
each downloads as CSV or XLSX with ``?export=csv`` or ``?export=xlsx``. Expenses
are recorded by staff who may add them and decided by someone else who may approve them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import FormView, TemplateView
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from cms.currencies import SUPPORTED_CURRENCIES, currency_choices
from donations.ledger import selectors
from donations.ledger.expenses import (
    APPROVE_PERMISSION,
    SUBMIT_PERMISSION,
    expense_approve,
    expense_reject,
    expense_submit,
)
from donations.ledger.exports import export_response
from donations.ledger.models import Account, AuditEntry, Expense, LedgerEntry, LedgerTransaction
from donations.ledger.posting import designation_of
from donations.ledger.reconciliation import reconciliation_report
from donations.money import AmountError, format_money, parse_amount, to_major

AUDIT_PERMISSION = "donations.audit_ledger"
EXPENSE_VIEW_PERMISSIONS = (AUDIT_PERMISSION, "donations.view_expense", SUBMIT_PERMISSION, APPROVE_PERMISSION)


def can_audit(user: Any) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm(AUDIT_PERMISSION))


def can_see_expenses(user: Any) -> bool:
    return user.is_active and any(user.has_perm(perm) for perm in EXPENSE_VIEW_PERMISSIONS)


def designation_names(keys: Any = None) -> dict[str, str]:
    """Readable names of designation keys: a fund's name, a page's title, or "Where most needed"."""
    from wagtail.models import Page

    from donations.models import Fund

    names: dict[str, str] = {"general": _("Where most needed"), "": "—"}
    funds = {f"fund:{pk}": name for pk, name in Fund.objects.values_list("pk", "name")}
    names.update(funds)
    page_ids = [int(key[5:]) for key in (keys or []) if key.startswith("page:") and key[5:].isdigit()]
    if keys is None:
        page_ids = [
            int(key[5:])
            for key in LedgerEntry.objects.filter(designation__startswith="page:")
            .values_list("designation", flat=True)
            .distinct()
            if key[5:].isdigit()
        ]
    names.update({f"page:{pk}": title for pk, title in Page.objects.filter(pk__in=page_ids).values_list("pk", "title")})
    return names


def designation_choices() -> list[tuple[str, str]]:
    keys = sorted(set(LedgerEntry.objects.values_list("designation", flat=True).distinct()) | {"general"})
    names = designation_names(keys)
    return [("", _("Any designation"))] + [(key, names.get(key, key)) for key in keys if key]


def money(minor: int | None, currency: str) -> str:
    return "" if minor is None else format_money(minor, currency, get_language())


def major(minor: int | None, currency: str) -> Any:
    return None if minor is None else to_major(minor, currency)


def day_start(day: Any) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


# -- Reports ------------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"


class ReportFilters(forms.Form):
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput)
    until = forms.DateField(label=gettext_lazy("To (inclusive)"), required=False, widget=DateInput)

    def range(self) -> tuple[datetime | None, datetime | None]:
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until")
        return day_start(data.get("since")), day_start(until + timedelta(days=1)) if until else None


class AuditReportView(WagtailAdminTemplateMixin, TemplateView):
    """A read-only report; ``?export=csv`` or ``?export=xlsx`` downloads what the page shows."""

    template_name = "donations/audit/report.html"
    header_icon = "doc-full"
    export_name = "report"
    filter_form_class: type[forms.Form] | None = None
    exportable = True

    def has_access(self, user: Any) -> bool:
        return can_audit(user)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_access(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.filters = self.filter_form_class(request.GET or None) if self.filter_form_class else None
        fmt = request.GET.get("export")
        if self.exportable and fmt in ("csv", "xlsx"):
            headers, rows = self.export_table()
            return export_response(fmt, self.export_name, headers, rows)
        return super().get(request, *args, **kwargs)

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        raise NotImplementedError

    def export_links(self) -> list[tuple[str, str]]:
        if not self.exportable:
            return []
        query = self.request.GET.copy()
        query.pop("page", None)
        links = []
        for fmt, label in (("csv", "CSV"), ("xlsx", "XLSX")):
            query["export"] = fmt
            links.append((label, f"?{query.urlencode()}"))
        return links

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update({"filters": self.filters, "export_links": self.export_links()})
        return context


class LedgerFilters(ReportFilters):
    account = forms.ChoiceField(label=gettext_lazy("Account"), required=False)
    designation = forms.ChoiceField(label=gettext_lazy("Designation"), required=False)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", _("Any account"))] + [
            (code, f"{code} · {name}") for code, name in Account.objects.values_list("code", "name")
        ]
        self.fields["designation"].choices = designation_choices()
        self.fields["currency"].choices = [("", _("Any currency"))] + [(c, c) for c in SUPPORTED_CURRENCIES]
        self.fields["kind"].choices = [("", _("Any kind")), *list(LedgerTransaction.Kind.choices)]


class LedgerBrowserView(AuditReportView):
    page_title = gettext_lazy("Ledger")
    export_name = "ledger"
    filter_form_class = LedgerFilters
    per_page = 50

    def rows(self) -> Any:
        data = self.filters.cleaned_data if self.filters is not None and self.filters.is_valid() else {}
        since, until = self.filters.range() if self.filters is not None else (None, None)
        return selectors.entries(
            account=data.get("account") or None,
            designation=data.get("designation") or None,
            currency=data.get("currency") or None,
            kind=data.get("kind") or None,
            since=since,
            until=until,
        )

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        names = designation_names()
        kinds = dict(LedgerTransaction.Kind.choices)
        headers = [
            _("Number"),
            _("Occurred at"),
            _("Kind"),
            _("Transaction"),
            _("Account"),
            _("Debit"),
            _("Credit"),
            _("Currency"),
            _("Designation"),
            _("Source"),
            _("Memo"),
            _("Chain hash"),
        ]
        rows = [
            [
                e.seq,
                e.occurred_at,
                str(kinds.get(e.kind, e.kind)),
                e.transaction_uuid,
                e.account_code,
                major(e.amount_minor, e.currency) if e.amount_minor > 0 else None,
                major(-e.amount_minor, e.currency) if e.amount_minor < 0 else None,
                e.currency,
                names.get(e.designation, e.designation),
                e.source_key,
                e.transaction.memo,
                e.chain_hash,
            ]
            for e in self.rows().select_related("transaction").iterator(chunk_size=2000)
        ]
        return headers, rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = Paginator(self.rows(), self.per_page).get_page(self.request.GET.get("page"))
        names = designation_names([e.designation for e in page])
        kinds = dict(LedgerTransaction.Kind.choices)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["tables"] = [
            {
                "headers": [
                    _("No."),
                    _("Date"),
                    _("Kind"),
                    _("Account"),
                    _("Debit"),
                    _("Credit"),
                    _("Currency"),
                    _("Designation"),
                    _("Chain hash"),
                ],
                "numeric": {4, 5},
                "rows": [
                    [
                        e.seq,
                        timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M"),
                        kinds.get(e.kind, e.kind),
                        e.account_code,
                        money(e.amount_minor, e.currency) if e.amount_minor > 0 else "",
                        money(-e.amount_minor, e.currency) if e.amount_minor < 0 else "",
                        e.currency,
                        names.get(e.designation, e.designation),
                        e.chain_hash[:12],
                    ]
                    for e in page
                ],
                "empty": _("No ledger entries match."),
            }
        ]
        context["page_obj"] = page
        context["page_query"] = query.urlencode()
        return context


class TrialBalanceFilters(forms.Form):
    until = forms.DateField(label=gettext_lazy("As of the end of"), required=False, widget=DateInput)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", _("Any currency"))] + [(c, c) for c in SUPPORTED_CURRENCIES]


class TrialBalanceView(AuditReportView):
    page_title = gettext_lazy("Trial balance")
    export_name = "trial-balance"
    filter_form_class = TrialBalanceFilters

    def data(self) -> tuple[list[selectors.Balance], dict[str, list[int]]]:
        data = self.filters.cleaned_data if self.filters is not None and self.filters.is_valid() else {}
        until = day_start(data["until"] + timedelta(days=1)) if data.get("until") else None
        rows = selectors.balances(until=until, currency=data.get("currency") or None)
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in rows:
            totals[row.currency][0] += row.debits
            totals[row.currency][1] += row.credits
        return rows, dict(sorted(totals.items()))

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        rows, totals = self.data()
        headers = [_("Account"), _("Name"), _("Type"), _("Currency"), _("Debits"), _("Credits"), _("Balance")]
        table = [
            [
                b.account.code,
                b.account.name,
                b.account.get_type_display(),
                b.currency,
                major(b.debits, b.currency),
                major(b.credits, b.currency),
                major(b.net, b.currency),
            ]
            for b in rows
        ]
        table += [
            [_("Total"), "", "", cur, major(d, cur), major(c, cur), major(d - c, cur)] for cur, (d, c) in totals.items()
        ]
        return headers, table

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rows, totals = self.data()
        context["intro"] = _(
            "Debits and credits per account and currency. Each currency's debits equal its credits when the "
            "books balance. A positive balance is a debit balance."
        )
        context["tables"] = [
            {
                "headers": [_("Account"), _("Name"), _("Type"), _("Currency"), _("Debits"), _("Credits"), _("Balance")],
                "numeric": {4, 5, 6},
                "rows": [
                    [
                        b.account.code,
                        b.account.name,
                        b.account.get_type_display(),
                        b.currency,
                        money(b.debits, b.currency),
                        money(b.credits, b.currency),
                        money(b.net, b.currency),
                    ]
                    for b in rows
                ],
                "footer": [
                    [
                        _("Total"),
                        _("Balanced") if d == c else _("OUT OF BALANCE"),
                        "",
                        cur,
                        money(d, cur),
                        money(c, cur),
                        money(d - c, cur),
                    ]
                    for cur, (d, c) in totals.items()
                ],
                "empty": _("The ledger has no entries yet."),
            }
        ]
        context["balanced"] = all(d == c for d, c in totals.values())
        return context


class DesignationView(AuditReportView):
    page_title = gettext_lazy("Income and expense per designation")
    export_name = "designations"
    filter_form_class = ReportFilters
    COLUMNS = ("raised", "refunds", "chargebacks", "fees", "spent")

    def data(self) -> list[tuple[str, str, dict[str, int], int]]:
        since, until = self.filters.range() if self.filters is not None else (None, None)
        totals = selectors.designation_totals(since=since, until=until)
        names = designation_names(list(totals))
        rows = []
        for key, per_currency in totals.items():
            for cur, bucket in sorted(per_currency.items()):
                net = bucket["raised"] - bucket["refunds"] - bucket["chargebacks"] - bucket["fees"] - bucket["spent"]
                rows.append((names.get(key, key), cur, bucket, net))
        return sorted(rows, key=lambda row: (row[0] != names["general"], str(row[0]), row[1]))

    def headers(self) -> list[str]:
        return [
            _("Designation"),
            _("Currency"),
            _("Raised"),
            _("Refunds"),
            _("Chargebacks"),
            _("Fees"),
            _("Spent"),
            _("Net"),
        ]

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        return self.headers(), [
            [name, cur, *(major(bucket[c], cur) for c in self.COLUMNS), major(net, cur)]
            for name, cur, bucket, net in self.data()
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["intro"] = _(
            "What each fund, campaign and the general fund raised and spent. Net is raised less refunds, "
            "chargebacks, processing fees and approved expenses."
        )
        context["tables"] = [
            {
                "headers": self.headers(),
                "numeric": {2, 3, 4, 5, 6, 7},
                "rows": [
                    [name, cur, *(money(bucket[c], cur) for c in self.COLUMNS), money(net, cur)]
                    for name, cur, bucket, net in self.data()
                ],
                "empty": _("Nothing posted in this period."),
            }
        ]
        return context


class ReconciliationView(AuditReportView):
    page_title = gettext_lazy("Reconciliation")
    export_name = "reconciliation"

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        report = reconciliation_report()
        headers = [
            _("Section"),
            _("Difference"),
            _("Gateway"),
            _("Currency"),
            _("Reference"),
            _("Processor"),
            _("Ledger"),
            _("Ledger less processor"),
        ]
        rows = [
            [
                _("Balance"),
                _("Clearing balance"),
                b.gateway,
                b.currency,
                "",
                major(b.processor_minor, b.currency),
                major(b.ledger_minor, b.currency),
                major(b.difference_minor, b.currency),
            ]
            for b in report.balances
        ]
        rows += [
            [
                _("Difference"),
                d.label,
                d.gateway,
                d.currency,
                d.reference,
                major(d.processor_minor, d.currency),
                major(d.ledger_minor, d.currency),
                major((d.ledger_minor or 0) - (d.processor_minor or 0), d.currency),
            ]
            for d in report.differences
        ]
        return headers, rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        report = reconciliation_report()
        context["intro"] = _(
            "The ledger compared with the payment processor: the processor clearing account's balance against "
            "what the processor holds (paid gifts less fees, refunds, disputed amounts and payouts), and every "
            "gift, fee, refund and payout whose ledger posting differs from the processor's record."
        )
        context["status"] = (
            _("No differences: the ledger agrees with the processor.")
            if report.clean
            else _("%(count)s difference(s) found.")
            % {"count": len(report.differences) + sum(1 for b in report.balances if b.difference_minor)}
        )
        context["clean"] = report.clean
        context["tables"] = [
            {
                "title": _("Clearing balances"),
                "headers": [
                    _("Gateway"),
                    _("Currency"),
                    _("Processor holds"),
                    _("Ledger clearing"),
                    _("Ledger less processor"),
                ],
                "numeric": {2, 3, 4},
                "rows": [
                    [
                        b.gateway,
                        b.currency,
                        money(b.processor_minor, b.currency),
                        money(b.ledger_minor, b.currency),
                        money(b.difference_minor, b.currency),
                    ]
                    for b in report.balances
                ],
                "empty": _("No processor activity yet."),
            },
            {
                "title": _("Differences"),
                "headers": [_("Difference"), _("Gateway"), _("Currency"), _("Reference"), _("Processor"), _("Ledger")],
                "numeric": {4, 5},
                "rows": [
                    [
                        d.label,
                        d.gateway,
                        d.currency,
                        d.reference,
                        money(d.processor_minor, d.currency),
                        money(d.ledger_minor, d.currency),
                    ]
                    for d in report.differences
                ],
                "links": [
                    reverse("donations_donation:inspect", args=[d.donation_id]) if d.donation_id else ""
                    for d in report.differences
                ],
                "empty": _("None."),
            },
        ]
        return context


class AuditLogFilters(ReportFilters):
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actions = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
        self.fields["action"].choices = [("", _("Any action"))] + [(a, a) for a in actions]


class AuditLogView(AuditReportView):
    page_title = gettext_lazy("Audit log")
    export_name = "audit-log"
    filter_form_class = AuditLogFilters
    per_page = 50

    def rows(self) -> Any:
        rows = AuditEntry.objects.select_related("actor")
        if self.filters is not None and self.filters.is_valid():
            since, until = self.filters.range()
            if since:
                rows = rows.filter(at__gte=since)
            if until:
                rows = rows.filter(at__lt=until)
            if self.filters.cleaned_data.get("action"):
                rows = rows.filter(action=self.filters.cleaned_data["action"])
        return rows.order_by("-at", "-id")

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        headers = [_("When"), _("Who"), _("Action"), _("Object"), _("Object id"), _("Summary"), _("Detail")]
        return headers, [
            [
                e.at,
                e.actor.get_username() if e.actor else "",
                e.action,
                e.object_type,
                e.object_id,
                e.summary,
                str(e.detail),
            ]
            for e in self.rows().iterator(chunk_size=2000)
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = Paginator(self.rows(), self.per_page).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context["tables"] = [
            {
                "headers": [_("When"), _("Who"), _("Action"), _("Summary")],
                "numeric": set(),
                "rows": [
                    [
                        timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"),
                        e.actor.get_username() if e.actor else "—",
                        e.action,
                        e.summary,
                    ]
                    for e in page
                ],
                "empty": _("No staff actions on money recorded."),
            }
        ]
        context["page_obj"] = page
        context["page_query"] = query.urlencode()
        return context


# -- Expenses -----------------------------------------------------------------------------------------


class ExpenseListView(AuditReportView):
    template_name = "donations/audit/expense_list.html"
    page_title = gettext_lazy("Expenses")
    export_name = "expenses"
    header_icon = "form"

    def has_access(self, user: Any) -> bool:
        return can_see_expenses(user)

    def rows(self) -> Any:
        rows = Expense.objects.select_related("submitted_by", "decided_by", "fund", "designation_page")
        status = self.request.GET.get("status")
        if status in Expense.Status.values:
            rows = rows.filter(status=status)
        return rows.order_by("-submitted_at", "-id")

    def export_table(self) -> tuple[list[str], list[list[Any]]]:
        names = designation_names()
        headers = [
            _("Reference"),
            _("Status"),
            _("Kind"),
            _("Category"),
            _("Designation"),
            _("Amount"),
            _("Currency"),
            _("Paid on"),
            _("Paid to"),
            _("Description"),
            _("Submitted by"),
            _("Decided by"),
        ]
        return headers, [
            [
                str(x.reference),
                x.get_status_display(),
                x.get_kind_display(),
                x.get_category_display(),
                names.get(designation_of(x), designation_of(x)),
                major(x.amount_minor, x.currency),
                x.currency,
                x.paid_on,
                x.payee,
                x.description,
                x.submitted_by.get_username(),
                x.decided_by.get_username() if x.decided_by else "",
            ]
            for x in self.rows()
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = Paginator(self.rows(), 50).get_page(self.request.GET.get("page"))
        names = designation_names([designation_of(x) for x in page])
        context.update(
            {
                "page_obj": page,
                "expenses": [
                    {
                        "expense": x,
                        "amount": money(x.amount_minor, x.currency),
                        "designation": names.get(designation_of(x), designation_of(x)),
                    }
                    for x in page
                ],
                "statuses": Expense.Status.choices,
                "status": self.request.GET.get("status", ""),
                "can_submit": self.request.user.has_perm(SUBMIT_PERMISSION),
            }
        )
        return context


class ExpenseForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Expense.Kind.choices)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Expense.Category.choices)
    designation = forms.ChoiceField(label=gettext_lazy("Paid from"))
    amount = forms.CharField(label=gettext_lazy("Amount"), max_length=20)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=[])
    paid_on = forms.DateField(label=gettext_lazy("Paid on"), widget=DateInput)
    payee = forms.CharField(label=gettext_lazy("Paid to"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What it paid for"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    public_summary = forms.CharField(
        label=gettext_lazy("Public summary"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Shown on the transparency page once approved."),
    )
    evidence = forms.FileField(
        label=gettext_lazy("Evidence"),
        help_text=gettext_lazy("The invoice or receipt (PDF, PNG or JPEG, up to 10 MB)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from wagtail.models import Page

        from donations.models import Fund

        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()
        choices: list[tuple[str, Any]] = [("general", _("Where most needed"))]
        choices += [
            (f"fund:{pk}", _("Fund: %(name)s") % {"name": name})
            for pk, name in Fund.objects.filter(active=True).values_list("pk", "name")
        ]
        campaigns = Page.objects.live().filter(depth__gte=3).exclude(content_type__model__in=["standardpage"])
        choices += [
            (f"page:{pk}", _("Campaign: %(title)s") % {"title": title})
            for pk, title in campaigns.filter(depth__lte=4).values_list("pk", "title")[:200]
        ]
        self.fields["designation"].choices = choices


class ExpenseCreateView(WagtailAdminTemplateMixin, FormView):
    template_name = "donations/admin/form.html"
    form_class = ExpenseForm
    page_title = gettext_lazy("Record an expense")
    header_icon = "form"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(SUBMIT_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        return {"paid_on": timezone.localdate(), "currency": "USD", "designation": "general"}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "intro": _(
                    "Money spent or granted, with its evidence. It is posted to the books only when another "
                    "member of staff approves it."
                ),
                "submit_label": _("Submit for approval"),
                "multipart": True,
            }
        )
        return context

    def form_valid(self, form: ExpenseForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            amount = parse_amount(data["amount"], data["currency"])
        except AmountError as exc:
            form.add_error("amount", str(exc))
            return self.form_invalid(form)
        try:
            expense = expense_submit(
                user=self.request.user,
                kind=data["kind"],
                category=data["category"],
                designation=data["designation"],
                amount_minor=amount,
                currency=data["currency"],
                paid_on=data["paid_on"],
                payee=data["payee"],
                description=data["description"],
                public_summary=data["public_summary"],
                evidence=data["evidence"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Expense submitted. Someone else must approve it before it is posted."))
        return redirect("donations_audit:expense", expense.pk)


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ExpenseDetailView(AuditReportView):
    template_name = "donations/audit/expense_detail.html"
    page_title = gettext_lazy("Expense")
    header_icon = "form"

    def has_access(self, user: Any) -> bool:
        return can_see_expenses(user)

    exportable = False

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        expense = get_object_or_404(
            Expense.objects.select_related("submitted_by", "decided_by", "fund", "designation_page"), pk=kwargs["pk"]
        )
        context = super().get_context_data(**kwargs)
        user = self.request.user
        key = designation_of(expense)
        context.update(
            {
                "expense": expense,
                "amount": money(expense.amount_minor, expense.currency),
                "designation": designation_names([key]).get(key, key),
                "can_decide": expense.status == Expense.Status.SUBMITTED
                and user.has_perm(APPROVE_PERMISSION)
                and expense.submitted_by_id != user.pk,
                "own": expense.submitted_by_id == user.pk,
                "reject_form": RejectForm(),
                "transactions": expense.ledger_transactions.prefetch_related("entries"),
                "log": AuditEntry.objects.filter(object_type="donations.expense", object_id=str(expense.pk))
                .select_related("actor")
                .order_by("at", "id"),
            }
        )
        return context


@require_POST
def expense_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied
    get_object_or_404(Expense, pk=pk)
    try:
        expense_approve(expense_id=pk, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Expense approved and posted to the ledger."))
    return redirect("donations_audit:expense", pk)


@require_POST
def expense_reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied
    get_object_or_404(Expense, pk=pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for rejecting the expense."))
        return redirect("donations_audit:expense", pk)
    try:
        expense_reject(expense_id=pk, user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Expense rejected. Nothing was posted."))
    return redirect("donations_audit:expense", pk)


def expense_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """An expense's evidence file, from private storage, for staff and auditors who may see expenses."""
    if not can_see_expenses(request.user):
        raise PermissionDenied
    expense = get_object_or_404(Expense, pk=pk)
    if not expense.evidence:
        raise Http404
    return FileResponse(
        expense.evidence.open("rb"), as_attachment=True, filename=expense.evidence.name.rsplit("/", 1)[-1]
    )


# -- Wiring -----------------------------------------------------------------------------------------------


@hooks.register("register_admin_urls")
def register_audit_urls() -> list[Any]:
    urls = [
        path("ledger/", LedgerBrowserView.as_view(), name="ledger"),
        path("trial-balance/", TrialBalanceView.as_view(), name="trial_balance"),
        path("designations/", DesignationView.as_view(), name="designations"),
        path("reconciliation/", ReconciliationView.as_view(), name="reconciliation"),
        path("log/", AuditLogView.as_view(), name="log"),
        path("expenses/", ExpenseListView.as_view(), name="expenses"),
        path("expenses/new/", ExpenseCreateView.as_view(), name="expense_new"),
        path("expenses/<int:pk>/", ExpenseDetailView.as_view(), name="expense"),
        path("expenses/<int:pk>/approve/", expense_approve_view, name="expense_approve"),
        path("expenses/<int:pk>/reject/", expense_reject_view, name="expense_reject"),
        path("expenses/<int:pk>/evidence/", expense_evidence, name="expense_evidence"),
    ]
    return [path("donations/audit/", include((urls, "donations_audit")))]


class AuditMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return can_audit(request.user)


class ExpenseMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return can_see_expenses(request.user)


@hooks.register("register_admin_menu_item")
def register_audit_menu() -> MenuItem:
    base = "/admin/donations/audit/"
    items = [
        AuditMenuItem(_("Ledger"), f"{base}ledger/", icon_name="list-ul", order=10),
        AuditMenuItem(_("Trial balance"), f"{base}trial-balance/", icon_name="table", order=20),
        AuditMenuItem(_("Per designation"), f"{base}designations/", icon_name="folder-open-inverse", order=30),
        AuditMenuItem(_("Reconciliation"), f"{base}reconciliation/", icon_name="tasks", order=40),
        AuditMenuItem(_("Audit log"), f"{base}log/", icon_name="history", order=50),
        ExpenseMenuItem(_("Expenses"), f"{base}expenses/", icon_name="form", order=60),
    ]
    return SubmenuMenuItem(gettext_lazy("Audit"), Menu(items=items), icon_name="doc-full", order=160)
