"""The weekly digest to staff with the analytics permission: what changed, spikes, lapsed monthly donors.

Checked hourly by beat; a week (Monday to Sunday, organisation time) is sent
once, after it ends: the row recording it is inserted in the same transaction
as the sending, so a failed send is tried again and a second worker finds the
week taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation

from donations.insights import selectors
from donations.insights.models import DigestSent, GiftFact, SourceRollup
from donations.insights.selectors import Scope
from donations.insights.services import organisation_reporting
from donations.money import format_money

TOP_CHANGES = 5
# A monthly gift has lapsed when its latest payment is this many days old (and not much older).
LAPSED_AFTER_DAYS, LAPSED_WITHIN_DAYS = 35, 95


@dataclass
class Change:
    label: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


def last_week(today: date) -> date:
    """The Monday of the last full week before ``today``."""
    return today - timedelta(days=today.weekday() + 7)


def _totals(since: date, until: date) -> tuple[int, int]:
    found = selectors.heatmap(Scope(since=since, until=until)).cells.values()
    return sum(c.gifts for c in found), sum(c.amount for c in found)


def top_changes(week: date) -> list[Change]:
    """The sources whose giving moved most between the week before and this week."""
    before, after = week - timedelta(days=7), week
    amounts: dict[tuple[str, str], list[int]] = {}
    rows = (
        SourceRollup.objects.filter(local_date__gte=before, local_date__lt=after + timedelta(days=7))
        .exclude(value="")
        .filter(dimension__in=list(selectors.DIMENSION_LABELS))
        .values("dimension", "value")
        .annotate(
            before=Sum("amount", filter=Q(local_date__lt=after)), after=Sum("amount", filter=Q(local_date__gte=after))
        )
    )
    for row in rows:
        amounts[(row["dimension"], row["value"])] = [row["before"] or 0, row["after"] or 0]
    changes = [Change(f"{selectors.DIMENSION_LABELS[dim]}: {value}", b, a) for (dim, value), (b, a) in amounts.items()]
    return sorted(changes, key=lambda c: (-abs(c.delta), c.label))[:TOP_CHANGES]


def lapsed_monthly(today: date) -> list[tuple[int, int, date]]:
    """Monthly gifts whose latest payment is 35 to 95 days old: (recurring gift, amount, last paid)."""
    rows = (
        GiftFact.objects.filter(recurring_gift_id__isnull=False, converted=True)
        .values("recurring_gift_id")
        .annotate(last=Max("local_date"))
        .filter(
            last__lte=today - timedelta(days=LAPSED_AFTER_DAYS), last__gt=today - timedelta(days=LAPSED_WITHIN_DAYS)
        )
    )
    last_paid = {row["recurring_gift_id"]: row["last"] for row in rows}
    amounts = dict(
        GiftFact.objects.filter(
            recurring_gift_id__in=list(last_paid), local_date__in=set(last_paid.values())
        ).values_list("recurring_gift_id", "amount")
    )
    return sorted(((rg, amounts.get(rg, 0), day) for rg, day in last_paid.items()), key=lambda r: -r[1])


def digest_context(week: date, *, currency: str) -> dict[str, Any]:
    end = week + timedelta(days=6)
    gifts, amount = _totals(week, end)
    gifts_before, amount_before = _totals(week - timedelta(days=7), week - timedelta(days=1))
    spikes = selectors.daily(Scope(since=week, until=end)).spikes
    lapsed = lapsed_monthly(end + timedelta(days=1))

    def money(minor: int) -> str:
        return format_money(minor, currency)

    return {
        "week": week,
        "end": end,
        "gifts": gifts,
        "gifts_before": gifts_before,
        "amount": money(amount),
        "amount_before": money(amount_before),
        "changes": [(c.label, money(c.before), money(c.after), money(c.delta)) for c in top_changes(week)],
        "spikes": [(d.day, d.gifts, money(d.amount), "; ".join(d.notes)) for d in spikes],
        "lapsed_count": len(lapsed),
        "lapsed_mrr": money(sum(amount for _rg, amount, _day in lapsed)),
    }


def digest_recipients() -> list[Any]:
    user_model = get_user_model()
    permission = Permission.objects.filter(codename="view_insights", content_type__app_label="donations").first()
    query = Q(is_superuser=True)
    if permission is not None:
        query |= Q(user_permissions=permission) | Q(groups__permissions=permission)
    return list(user_model.objects.filter(query, is_active=True).exclude(email="").distinct().order_by("pk"))


def _language_of(user: Any) -> str | None:
    profile = getattr(user, "wagtail_userprofile", None)
    return profile.get_preferred_language() if profile else None


def digest_send(*, today: date | None = None) -> int:
    """Send the digest of the last full week, once. Returns how many people it went to (0 if already sent)."""
    currency, time_zone = organisation_reporting()
    today = today or timezone.now().astimezone(ZoneInfo(time_zone)).date()
    week = last_week(today)
    if DigestSent.objects.filter(week=week).exists():
        return 0
    recipients = digest_recipients()
    try:
        with transaction.atomic():
            DigestSent.objects.create(week=week, recipients=len(recipients))
            context = digest_context(week, currency=currency)
            for user in recipients:
                with translation.override(_language_of(user)):
                    subject = " ".join(render_to_string("donations/email/insights_digest_subject.txt", context).split())
                    text = render_to_string("donations/email/insights_digest.txt", context)
                    html = render_to_string("donations/email/insights_digest.html", context)
                message = EmailMultiAlternatives(subject, text, to=[user.email])
                message.attach_alternative(html, "text/html")
                message.send()
    except IntegrityError:
        return 0  # another worker took this week
    return len(recipients)
