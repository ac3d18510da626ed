"""The public transparency page: what came in and went out, who gave (if they said so), and how to check it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.cache import cache
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from wagtail.models import Page

from donations.ledger.models import Checkpoint, Expense
from donations.ledger.selectors import designation_totals, spent_by_category
from donations.models import Donation, RecurringGift
from donations.money import format_money

CACHE_SECONDS = 60
WALL_SIZE = 60
EVIDENCE_SIZE = 20


def organisation(request: HttpRequest) -> HttpResponse:
    return _render(request, page=None)


def campaign(request: HttpRequest, page_id: int) -> HttpResponse:
    page = Page.objects.live().public().filter(pk=page_id).first()
    if page is None:
        raise Http404(_("No such campaign."))
    return _render(request, page=page.localized.specific)


def _render(request: HttpRequest, *, page: Page | None) -> HttpResponse:
    language = get_language()
    key = f"transparency:{page.pk if page else 'all'}:{language}"
    figures = cache.get(key)
    if figures is None:
        figures = _figures(page, language)
        cache.set(key, figures, CACHE_SECONDS)
    checkpoint = Checkpoint.objects.order_by("-tree_size").first()
    return render(
        request,
        "donations/transparency.html",
        {"campaign": page, "checkpoint": checkpoint, "cache_seconds": CACHE_SECONDS, **figures},
    )


def _figures(page: Page | None, language: str) -> dict[str, Any]:
    """Everything the page shows but the checkpoint, as plain values (cached for a minute)."""
    designation = f"page:{page.pk}" if page is not None else None
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for per_currency in designation_totals(designation=designation).values():
        for currency, bucket in per_currency.items():
            for name, value in bucket.items():
                totals[currency][name] += value
    categories = dict(Expense.Category.choices)
    spent = defaultdict(list)
    for code, per_currency in spent_by_category(designation=designation).items():
        for currency, amount in per_currency.items():
            label = categories.get(code, code)
            spent[currency].append({"category": str(label), "amount": format_money(amount, currency, language)})
    currencies = []
    for currency in sorted(totals):
        bucket = totals[currency]
        refunds = bucket["refunds"] + bucket["chargebacks"]
        currencies.append(
            {
                "currency": currency,
                "raised": format_money(bucket["raised"], currency, language),
                "fees": format_money(bucket["fees"], currency, language),
                "refunds": format_money(refunds, currency, language),
                "spent": format_money(bucket["spent"], currency, language),
                "net": format_money(bucket["raised"] - refunds - bucket["fees"] - bucket["spent"], currency, language),
                "categories": sorted(spent.get(currency, []), key=lambda item: item["category"]),
            }
        )

    expenses = Expense.objects.filter(status=Expense.Status.APPROVED).exclude(public_summary="")
    gifts = Donation.objects.filter(succeeded_at__isnull=False)
    monthly = RecurringGift.objects.filter(status=RecurringGift.Status.ACTIVE)
    if page is not None:
        expenses = expenses.filter(designation_page=page)
        gifts = gifts.filter(designation_page=page)
        monthly = monthly.filter(designation_page=page)
    evidence = [
        {
            "summary": item.public_summary,
            "category": item.get_category_display(),
            "amount": format_money(item.amount_minor, item.currency, language),
            "paid_on": item.paid_on,
        }
        for item in expenses.order_by("-paid_on", "-pk")[:EVIDENCE_SIZE]
    ]
    donors = gifts.aggregate(n=Count("supporter", distinct=True))["n"]
    named_donors = gifts.filter(anonymous=False).values("supporter").distinct()
    anonymous = donors - named_donors.count()
    # First names only, one per donor, newest first: enough to thank, too little to find anyone.
    wall: list[str] = []
    seen: set[int] = set()
    for supporter_id, name in (
        gifts.filter(anonymous=False)
        .order_by("-succeeded_at")
        .values_list("supporter_id", "supporter__name")[: WALL_SIZE * 4]
    ):
        if supporter_id in seen:
            continue
        seen.add(supporter_id)
        first = (name or "").split()[0] if (name or "").strip() else ""
        if first:
            wall.append(first)
        else:
            anonymous += 1
        if len(wall) >= WALL_SIZE:
            break
    return {
        "currencies": currencies,
        "evidence": evidence,
        "donor_count": donors,
        "monthly_donor_count": monthly.aggregate(n=Count("supporter", distinct=True))["n"],
        "wall": wall,
        "anonymous_count": max(anonymous, 0),
    }
