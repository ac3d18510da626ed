"""The reads behind the staff screens, the exports and the delivery report (one place for all three).

Counts come from the folded counters and tallies (``PetitionCounter``,
``PetitionTally``), the same figures the public page shows; only the
statuses that have no counter of their own (pending, expired, invalidated)
and the confirmed rows the fold task has not reached yet are counted here,
with the ``(petition, status)`` index, for staff only. Every read takes the
petition's canonical page: translations of a petition share its signatures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Min, QuerySet
from django.utils import formats, timezone
from django.utils.html import strip_tags
from django.utils.text import normalize_newlines
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_countries import countries

from campaigns.models import Target
from campaigns.petitions.models import PetitionCounter, PetitionPage, PetitionTally, Signature

RECENT_LIMIT = 25


@dataclass
class Counts:
    confirmed: int = 0
    pending: int = 0
    expired: int = 0
    invalidated: int = 0
    # Confirmed rows the fold task has not added to the counters yet (they show in the total soon).
    uncounted: int = 0
    updated_at: Any = None

    @property
    def accepted(self) -> int:
        return self.confirmed + self.pending + self.expired + self.invalidated + self.uncounted


@dataclass
class RegionRow:
    name: str
    count: int
    share: str


@dataclass
class CountryRow:
    code: str
    name: str
    count: int
    share: str
    regions: list[RegionRow] = field(default_factory=list)


def canonical(petition: PetitionPage) -> PetitionPage:
    return petition.canonical


def confirmed_signatures(petition: PetitionPage) -> QuerySet[Signature]:
    """Exactly the confirmed signatures of the petition (every translation), oldest first."""
    return Signature.objects.filter(petition=canonical(petition), status=Signature.Status.CONFIRMED).order_by(
        "confirmed_at", "id"
    )


def petition_counts(petition: PetitionPage) -> Counts:
    """Confirmed from the counter; pending, expired, invalidated and not-yet-folded from the index."""
    page = canonical(petition)
    counter = PetitionCounter.objects.filter(petition=page).values_list("total", "updated_at").first()
    counts = Counts(confirmed=counter[0] if counter else 0, updated_at=counter[1] if counter else None)
    by_status = dict(
        Signature.objects.filter(
            petition=page,
            status__in=[Signature.Status.PENDING, Signature.Status.EXPIRED, Signature.Status.INVALIDATED],
        )
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts.pending = by_status.get(Signature.Status.PENDING, 0)
    counts.expired = by_status.get(Signature.Status.EXPIRED, 0)
    counts.invalidated = by_status.get(Signature.Status.INVALIDATED, 0)
    counts.uncounted = Signature.objects.filter(
        petition=page, status=Signature.Status.CONFIRMED, counted_at__isnull=True
    ).count()
    return counts


def recent_signatures(petition: PetitionPage, *, limit: int = RECENT_LIMIT) -> list[Signature]:
    """The newest signatures of every status, newest first (for staff who may see signers)."""
    return list(
        Signature.objects.filter(petition=canonical(petition))
        .select_related("invalidated_by")
        .order_by("-created_at", "-id")[:limit]
    )


def _share(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return formats.number_format(round(100 * part / whole, 1), 1) + "%"


def country_name(code: str) -> str:
    return str(countries.name(code)) if code else _("Country not given")


def region_breakdown(petition: PetitionPage) -> list[CountryRow]:
    """Confirmed signatures by country (largest first), each with its regions (largest first), from the tallies."""
    tallies = list(
        PetitionTally.objects.filter(petition=canonical(petition), total__gt=0).values_list(
            "country", "region", "total"
        )
    )
    whole = sum(total for _country, _region, total in tallies)
    by_country: dict[str, CountryRow] = {}
    for code, region, total in tallies:
        row = by_country.get(code)
        if row is None:
            row = by_country[code] = CountryRow(code=code, name=country_name(code), count=0, share="")
        row.count += total
        row.regions.append(RegionRow(name=region or _("Region not given"), count=total, share=""))
    rows = sorted(by_country.values(), key=lambda row: (-row.count, row.name))
    for row in rows:
        row.share = _share(row.count, whole)
        row.regions.sort(key=lambda region: (-region.count, region.name))
        for region in row.regions:
            region.share = _share(region.count, whole)
    return rows


def petition_in_language(petition: PetitionPage, language: str) -> PetitionPage:
    """The petition's page in ``language`` when it has a live translation, else the page given."""
    from wagtail.models import Locale

    if petition.locale.language_code == language:
        return petition
    locale = Locale.objects.filter(language_code=language).first()
    if locale is None:
        return petition
    translation = PetitionPage.objects.filter(translation_key=petition.translation_key, locale=locale).first()
    return translation if translation is not None and translation.live else petition


def petition_ask(petition: PetitionPage) -> str:
    """The ask as plain text (paragraphs kept as line breaks), for the PDF."""
    text = str(petition.ask or "")
    for tag in ("</p>", "<br>", "<br/>", "</li>"):
        text = text.replace(tag, tag + "\n")
    lines = [line.strip() for line in normalize_newlines(strip_tags(text)).split("\n")]
    return "\n".join(line for line in lines if line)


def petition_targets(petition: PetitionPage) -> list[Target]:
    return list(canonical(petition).targets.all())


@dataclass
class Comment:
    text: str
    who: str


def comment_sample(petition: PetitionPage, *, limit: int) -> list[Comment]:
    """Up to ``limit`` comments of confirmed signers, spread evenly over the petition's life.

    The signer is named by first name and region only: the report goes to the targets.
    """
    rows = Signature.objects.filter(petition=canonical(petition), status=Signature.Status.CONFIRMED).exclude(comment="")
    bounds = rows.aggregate(first=Min("id"), last=Max("id"))
    if bounds["first"] is None:
        return []
    # Evenly spaced points over the ids (which grow with time), each taking the next comment at or after
    # it: a few indexed reads however large the petition, never every id in memory.
    first, last = bounds["first"], bounds["last"]
    step = max(1, (last - first + 1) // limit)
    chosen: set[int] = set()
    for point in range(first, last + 1, step):
        found = rows.filter(id__gte=point).order_by("id").values_list("id", flat=True).first()
        if found is not None:
            chosen.add(found)
        if len(chosen) >= limit:
            break
    comments = []
    separator = "، " if (get_language() or "").startswith("ar") else ", "
    for signature in Signature.objects.filter(pk__in=chosen).order_by("confirmed_at", "id"):
        place = separator.join(
            part for part in (signature.region or signature.city, country_name(signature.country)) if part
        )
        comments.append(Comment(text=signature.comment, who=f"{signature.first_name} · {place}"))
    return comments


def organisation_name(language: str) -> str:
    from wagtail.models import Site

    from cms.models import OrganisationSettings

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return ""
    settings = OrganisationSettings.for_site(site)
    if language == "ar" and getattr(settings, "organisation_name_ar", ""):
        return settings.organisation_name_ar
    return getattr(settings, "organisation_name", "")


def signature_row(signature: Signature, *, with_email: bool) -> list[Any]:
    """One exported row: name, country, region, postcode, city, signed and confirmed times, comment (email)."""
    row: list[Any] = [
        signature.name,
        country_name(str(signature.country.code or "")) if signature.country else "",
        signature.region,
        signature.postcode,
        signature.city,
        timezone.localtime(signature.created_at).replace(microsecond=0) if signature.created_at else None,
        timezone.localtime(signature.confirmed_at).replace(microsecond=0) if signature.confirmed_at else None,
        signature.comment,
    ]
    if with_email:
        row.append(signature.email)
    return row
