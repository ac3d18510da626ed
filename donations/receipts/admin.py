"""Annual statements in the Wagtail admin: start a batch for a fiscal year, and watch its progress.

Imported from donations/wagtail_hooks.py. The progress page refreshes itself
every 3 seconds with a meta tag, so it needs no JavaScript.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from donations.receipts.models import Receipt, StatementBatch
from donations.receipts.statements import statement_batch_start

PERMISSION = "donations.add_statementbatch"


class StatementBatchForm(forms.Form):
    fiscal_year = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = Receipt.objects.order_by("-fiscal_year").values_list("fiscal_year", flat=True).distinct()
        self.fields["fiscal_year"].choices = [(year, str(year)) for year in years]


@permission_required(PERMISSION, raise_exception=True)
def statements_index(request: HttpRequest) -> HttpResponse:
    form = StatementBatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        batch = statement_batch_start(fiscal_year=form.cleaned_data["fiscal_year"], user=request.user)
        return redirect("receipts_statements:progress", pk=batch.pk)
    return TemplateResponse(
        request,
        "receipts/admin/statements.html",
        {"form": form, "batches": StatementBatch.objects.all()[:20], "page_title": _("Annual statements")},
    )


@permission_required(PERMISSION, raise_exception=True)
def statements_progress(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(StatementBatch, pk=pk)
    return TemplateResponse(
        request,
        "receipts/admin/statement_progress.html",
        {
            "batch": batch,
            "running": batch.status in (StatementBatch.Status.QUEUED, StatementBatch.Status.RUNNING),
            "page_title": _("Annual statements"),
        },
    )


@hooks.register("register_admin_urls")
def register_statement_urls() -> list[Any]:
    urls = [
        path("", statements_index, name="index"),
        path("<int:pk>/", statements_progress, name="progress"),
    ]
    from django.urls import include

    return [path("donations/statements/", include((urls, "receipts_statements")))]


class StatementsMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)


@hooks.register("register_admin_menu_item")
def register_statements_item() -> MenuItem:
    return StatementsMenuItem(
        _("Annual statements"), reverse("receipts_statements:index"), icon_name="doc-full", order=152
    )
