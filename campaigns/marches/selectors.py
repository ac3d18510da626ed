"""Reads that the march pages, the room, the API and the admin share.

Public counts come from the folded counter rows (never ``COUNT(*)`` of the
action rows per request), kept in the cache by the fold task.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.marches.models import MarchAction, MarchCounter, MarchLetter, MarchSlot, VirtualMarchPage

OTHER_REGION = "other"


def counts_key(march_id: int) -> str:
    return f"marches:{march_id}:counts"


def times_key(march_id: int) -> str:
    return f"marches:{march_id}:times"


def status_key(page_id: int) -> str:
    """The status endpoint's cached page part (title, window, targets) of one march page or translation."""
    return f"marches:page:{page_id}:status"


def status_clear(page_ids: list[int]) -> None:
    cache.delete_many([status_key(page_id) for page_id in page_ids])


def march_counts_compute(*, march_id: int) -> dict[str, Any]:
    """The counters as the public sees them, from the counter rows and the slots (one query each)."""
    rows = list(MarchCounter.objects.filter(march_id=march_id).values("scope", "key", "registered", "calls", "letters"))
    totals = {"registered": 0, "calls": 0, "letters": 0}
    by_region, by_target = [], []
    for row in rows:
        numbers = {"registered": row["registered"], "calls": row["calls"], "letters": row["letters"]}
        if row["scope"] == MarchCounter.Scope.ALL:
            totals = numbers
        elif row["scope"] == MarchCounter.Scope.REGION:
            by_region.append({"region": row["key"], **numbers})
        else:
            by_target.append({"target": int(row["key"]), **numbers})
    by_region.sort(key=lambda item: (-item["registered"], item["region"]))
    by_target.sort(key=lambda item: item["target"])
    left = MarchSlot.objects.filter(march_id=march_id).aggregate(left=Sum(F("capacity") - F("booked")))["left"]
    return {
        "totals": totals,
        "by_region": by_region,
        "by_target": by_target,
        "slots_left": int(left or 0),
        "updated_at": timezone.now().isoformat(),
    }


def march_counts(*, march_id: int) -> dict[str, Any]:
    """The cached counters (filled by the fold task; recomputed from counter rows on a miss)."""
    found = cache.get(counts_key(march_id))
    if found is None:
        found = march_counts_compute(march_id=march_id)
        cache.set(counts_key(march_id), found, settings.MARCH_COUNTS_CACHE_SECONDS)
    return found


def march_times(*, march: VirtualMarchPage) -> list[tuple[datetime, int]]:
    """Each slot start with how many places are left across the offices, briefly cached."""
    key = times_key(march.pk)
    found = cache.get(key)
    if found is None:
        found = [
            (row["starts_at"], int(row["left"] or 0))
            for row in MarchSlot.objects.filter(march=march)
            .values("starts_at")
            .annotate(left=Sum(F("capacity") - F("booked")))
            .order_by("starts_at")
        ]
        cache.set(key, found, settings.MARCH_TIMES_CACHE_SECONDS)
    return found


def time_key(moment: datetime) -> str:
    """A slot time as it travels in a form: UTC, to the minute."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def time_parse(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%d%H%M").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def region_choices(march: VirtualMarchPage) -> list[tuple[str, str]]:
    """Where a participant lives: the regions the march's officials answer for, plus "elsewhere"."""
    regions = sorted({target.region for target in march.targets.all() if target.region})
    return [(region, region) for region in regions] + [(OTHER_REGION, _("Elsewhere"))]


def region_label(key: str) -> str:
    return _("Elsewhere") if key == OTHER_REGION else key


def march_summary(*, march: VirtualMarchPage) -> dict[str, Any]:
    """What happened: participation by region and by hour, call outcomes, a sample of letters (cached)."""
    key = f"marches:{march.pk}:summary"
    found = cache.get(key)
    if found is not None:
        return found
    counts = march_counts_compute(march_id=march.pk)
    hours: dict[datetime, dict[str, int]] = {}
    for row in (
        MarchAction.objects.filter(march=march)
        .annotate(hour=TruncHour("created_at", tzinfo=march.zone))
        .values("hour", "kind")
        .annotate(n=Count("pk"))
        .order_by("hour")
    ):
        bucket = hours.setdefault(row["hour"], {"call": 0, "letter": 0})
        bucket[row["kind"]] = row["n"]
    outcomes = {
        row["outcome"]: row["n"]
        for row in MarchAction.objects.filter(march=march, kind=MarchAction.Kind.CALL)
        .values("outcome")
        .annotate(n=Count("pk"))
    }
    letters = list(
        MarchLetter.objects.filter(march=march)
        .exclude(status=MarchLetter.Status.QUEUED)
        .select_related("action__participant")
        .order_by("-pk")[: settings.MARCH_SUMMARY_SAMPLE_LETTERS]
    )
    found = {
        "counts": counts,
        "by_hour": [
            {"hour": hour.astimezone(march.zone), "calls": v["call"], "letters": v["letter"]}
            for hour, v in sorted(hours.items())
        ],
        "outcomes": [(value, outcomes.get(value, 0)) for value, _label in MarchAction.Outcome.choices],
        "letters": [
            {"subject": letter.subject, "body": letter.body, "region": letter.action.participant.region}
            for letter in letters
        ],
    }
    cache.set(key, found, settings.MARCH_SUMMARY_CACHE_SECONDS)
    return found


def participant_done(participant) -> dict[tuple[int, str], MarchAction]:
    """What this participant already did, by (target id, kind)."""
    return {(action.target_id, action.kind): action for action in participant.actions.all()}
