"""Petitions: shared reads. Counts come from the folded counters, through the cache (never COUNT(*)).

- ``petition_count(petition_id=...) -> int``: confirmed signatures (folded).
- ``petition_regions(petition_id=...) -> dict``: {"total", "updated_at",
  "countries": [{"country", "name", "total", "regions": [{"region", "total"}]}]}.
- ``petition_recent_signers(petition_id=...) -> list[dict]``: the wall:
  first name and city of the latest confirmed signers who agreed to appear.
- ``signatures_matching(petition=..., ip=, domain=, since=, until=)``: the
  queryset ``signatures_invalidate`` acts on (any status), for previews.
- ``petition_counts_refresh(petition_id=...)``: recompute the cached values
  from the counter and tallies (the fold does this after every change).

``petition_id`` is always the canonical page's id (``page.canonical.pk``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django_countries import countries

from campaigns.petitions.models import AdvocacySettings, PetitionCounter, PetitionPage, PetitionTally, Signature

WALL_SIZE = 12
_COUNT_KEY = "petitions:count:{}"
_REGIONS_KEY = "petitions:regions:{}"
_WALL_KEY = "petitions:wall:{}"
# Kept until the next fold replaces them; a miss (eviction) reads the counter row once.
_TIMEOUT = 24 * 3600


def petition_counts_refresh(*, petition_id: int) -> int:
    counter = PetitionCounter.objects.filter(petition_id=petition_id).first()
    total = counter.total if counter else 0
    updated = counter.updated_at.isoformat() if counter else None
    tallies = list(
        PetitionTally.objects.filter(petition_id=petition_id, total__gt=0)
        .order_by("country", "region")
        .values_list("country", "region", "total")
    )
    by_country: dict[str, dict[str, Any]] = {}
    for country, region, n in tallies:
        entry = by_country.setdefault(country, {"country": country, "total": 0, "regions": []})
        entry["total"] += n
        entry["regions"].append({"region": region, "total": n})
    for entry in by_country.values():
        entry["regions"].sort(key=lambda r: (-r["total"], r["region"]))
    regions = {
        "total": total,
        "updated_at": updated,
        "countries": sorted(by_country.values(), key=lambda c: (-c["total"], c["country"])),
    }
    wall = [
        {
            "first_name": (name.split() or [""])[0],
            "city": city,
            "country": country,
            "confirmed_at": confirmed.isoformat(),
        }
        for name, city, country, confirmed in Signature.objects.filter(
            petition_id=petition_id, status=Signature.Status.CONFIRMED, public=True, counted_at__isnull=False
        )
        .order_by("-confirmed_at", "-id")
        .values_list("name", "city", "country", "confirmed_at")[:WALL_SIZE]
    ]
    cache.set_many(
        {
            _COUNT_KEY.format(petition_id): {"total": total, "updated_at": updated},
            _REGIONS_KEY.format(petition_id): regions,
            _WALL_KEY.format(petition_id): wall,
        },
        timeout=_TIMEOUT,
    )
    petition_page_cache_evict(petition_id=petition_id)
    return total


_PAGE_KEYS = "petitions:pagekeys:{}"


def petition_page_cache_remember(*, petition_id: int, request: HttpRequest) -> None:
    """Note the page-cache entry this rendering of the petition is stored under (cms.page_cache)."""
    from cms import page_cache

    if not page_cache._cacheable_request(request):
        return
    entry = page_cache._key(request)
    keys = cache.get(_PAGE_KEYS.format(petition_id)) or set()
    if entry not in keys and len(keys) < 100:
        cache.set(_PAGE_KEYS.format(petition_id), {*keys, entry}, timeout=None)


def petition_page_cache_evict(*, petition_id: int) -> None:
    """Drop the petition's cached pages (every language and host), so the next reader sees the new count.

    Called after a fold changed the count: a page re-renders at most once per fold, however many read it.
    """
    keys = cache.get(_PAGE_KEYS.format(petition_id))
    if keys:
        cache.delete_many(list(keys))


def _cached(key: str, petition_id: int) -> Any:
    value = cache.get(key.format(petition_id))
    if value is None:
        petition_counts_refresh(petition_id=petition_id)
        value = cache.get(key.format(petition_id))
    return value


def petition_count_info(*, petition_id: int) -> dict[str, Any]:
    return _cached(_COUNT_KEY, petition_id) or {"total": 0, "updated_at": None}


def petition_count(*, petition_id: int) -> int:
    return int(petition_count_info(petition_id=petition_id)["total"])


def petition_regions(*, petition_id: int) -> dict[str, Any]:
    """Counts by country and region, with the country's name in the current language."""
    data = _cached(_REGIONS_KEY, petition_id) or {"total": 0, "updated_at": None, "countries": []}
    return {
        **data,
        "countries": [{**entry, "name": str(countries.name(entry["country"]))} for entry in data["countries"]],
    }


def petition_recent_signers(*, petition_id: int) -> list[dict[str, Any]]:
    return list(_cached(_WALL_KEY, petition_id) or [])


def signatures_matching(
    *,
    petition: PetitionPage,
    ip: str | None = None,
    domain: str | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[Signature]:
    """The petition's signatures from this address, this email domain (and its subdomains) and this time window."""
    from django.db.models import Q

    signatures = Signature.objects.filter(petition=petition.canonical)
    if ip:
        signatures = signatures.filter(ip=ip.strip())
    if domain:
        domain = domain.strip().lower().lstrip("@")
        signatures = signatures.filter(Q(email_domain=domain) | Q(email_domain__endswith=f".{domain}"))
    if since:
        signatures = signatures.filter(created_at__gte=since)
    if until:
        signatures = signatures.filter(created_at__lt=until)
    return signatures


def advocacy_settings(request: HttpRequest | None = None) -> AdvocacySettings:
    from wagtail.models import Site

    if request is not None:
        return AdvocacySettings.for_request(request)
    site = Site.objects.filter(is_default_site=True).first()
    return AdvocacySettings.for_site(site) if site else AdvocacySettings()


def petition_sign_summary(*, page_id: int) -> dict[str, Any] | None:
    """What the count JSON and the API say about a petition: all from the cache, no query when warm."""
    from campaigns.petitions.abuse import petition_sign_info

    info = petition_sign_info(page_id)
    if info is None or not info.live:
        return None
    counts = petition_count_info(petition_id=info.canonical_id)
    total = int(counts["total"])
    target = info.next_milestone(total)
    return {
        "petition": page_id,
        "canonical_id": info.canonical_id,
        "state": info.state_now(timezone.now()),
        "total": total,
        "goal": info.goal,
        "next_milestone": target,
        "percent": 100 if not target else min(100, total * 100 // target),
        "updated_at": counts["updated_at"],
    }


def petition_public_context(*, page: PetitionPage, request: HttpRequest) -> dict[str, Any]:
    from campaigns.petitions.abuse import petition_sign_info
    from campaigns.petitions.share import share_links

    petition = page.canonical
    total = petition_count(petition_id=petition.pk)
    info = petition_sign_info(page.pk)
    target = info.next_milestone(total) if info else 0
    percent = 100 if not target else min(100, total * 100 // target)
    return {
        "petition": petition,
        "state": page.effective_state(timezone.now()),
        "accepts_signatures": page.accepts_signatures(),
        "signature_count": total,
        "signature_count_display": number_format(total, force_grouping=True),
        "next_milestone_display": number_format(target, force_grouping=True),
        "next_milestone": target,
        "progress_percent": percent,
        "recent_signers": petition_recent_signers(petition_id=petition.pk),
        "share_links": share_links(page=page, request=request),
        # A page previewed before its first save has no id yet: nothing to post to.
        "sign_url": reverse("campaigns:petitions_sign", kwargs={"page_id": page.pk}) if page.pk else "",
        "count_url": reverse("campaigns:petitions_count", kwargs={"page_id": page.pk}) if page.pk else "",
        "targets": [t.public_view() for t in petition.targets.filter(active=True)],
    }
