"""What the portal shows a supporter about their own gifts (every query is scoped to the supporter)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from donations.models import Donation, RecurringGift, RefundRequest
from donations.receipts.models import AnnualStatement
from supporters.models import Supporter

# Gifts a donor started but never paid (or is still paying) are not history.
HIDDEN = (Donation.Status.PENDING, Donation.Status.REQUIRES_ACTION)


def supporter_donations(supporter: Supporter) -> QuerySet[Donation]:
    return (
        Donation.objects.filter(supporter=supporter)
        .exclude(status__in=HIDDEN)
        # A one-time payment that failed was never a gift; a monthly instalment that failed is shown.
        .exclude(status=Donation.Status.FAILED, recurring_gift__isnull=True)
        .select_related("receipt", "fund", "designation_page", "recurring_gift")
        .prefetch_related(Prefetch("refund_requests", queryset=RefundRequest.objects.order_by("-created_at")))
        .order_by("-created_at")
    )


def supporter_recurring_gifts(supporter: Supporter) -> QuerySet[RecurringGift]:
    return (
        RecurringGift.objects.filter(supporter=supporter)
        .exclude(status=RecurringGift.Status.INCOMPLETE)
        .select_related("fund", "designation_page", "payment_card")
        .order_by("status", "-created_at")
    )


def supporter_statements(supporter: Supporter) -> QuerySet[AnnualStatement]:
    return AnnualStatement.objects.filter(supporter=supporter).exclude(pdf="").order_by("-fiscal_year")


def own_recurring_gift(supporter: Supporter, reference) -> RecurringGift:
    """The supporter's own monthly gift by reference; 404 for anyone else's (or none)."""
    gift = supporter_recurring_gifts(supporter).filter(reference=reference).first()
    if gift is None:
        raise Http404
    return gift


def own_donation(supporter: Supporter, reference) -> Donation:
    gift = supporter_donations(supporter).filter(reference=reference).first()
    if gift is None:
        raise Http404
    return gift
