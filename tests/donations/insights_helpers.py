"""Making gifts for the Insights tests: paid rows with a chosen moment, as the gateway would leave them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from cms.models import OrganisationSettings
from donations.models import Donation, RecurringGift
from supporters.models import Supporter


def organisation(site, *, currency: str = "USD", time_zone: str = "America/New_York") -> OrganisationSettings:
    settings = OrganisationSettings.for_site(site)
    settings.default_currency = currency
    settings.time_zone = time_zone
    settings.save()
    return settings


def supporter(email: str) -> Supporter:
    return Supporter.objects.get_or_create(email=email)[0]


def gift(
    person: Supporter,
    at: datetime,
    amount_minor: int = 5000,
    currency: str = "USD",
    *,
    paid: bool = True,
    refunded: int = 0,
    **fields: Any,
) -> Donation:
    donation = Donation.objects.create(
        supporter=person,
        amount_minor=amount_minor,
        currency=currency,
        gateway="sandbox",
        status=Donation.Status.SUCCEEDED if paid else Donation.Status.PENDING,
        succeeded_at=at if paid else None,
        amount_refunded_minor=refunded,
        **fields,
    )
    # created_at is the moment the donor gave; set it as if the gift were made then.
    Donation.objects.filter(pk=donation.pk).update(created_at=at, updated_at=timezone.now())
    donation.refresh_from_db()
    return donation


def monthly(person: Supporter, amount_minor: int = 1000, currency: str = "USD", **fields: Any) -> RecurringGift:
    return RecurringGift.objects.create(
        supporter=person, amount_minor=amount_minor, currency=currency, gateway="sandbox", status="active", **fields
    )


def touch(donation: Donation, **fields: Any) -> None:
    """Change a gift as a service would (its updated_at moves on)."""
    for name, value in fields.items():
        setattr(donation, name, value)
    donation.save()
