"""Advocacy to giving: signers who later give, and the median time to their first gift."""

from __future__ import annotations

from datetime import UTC, datetime

from campaigns.petitions.models import Signature
from donations.insights import selectors
from donations.insights.services import insights_fold
from tests.campaigns.petition_fixtures import *  # noqa: F403
from tests.donations.insights_helpers import gift, organisation, supporter


def sign(petition, person, when: datetime, status: str = "confirmed") -> Signature:
    return Signature.objects.create(
        petition=petition, supporter=person, status=status, name="X", email=person.email,
        email_canonical=person.email, email_domain="example.org", country="JO", consent_version="v1",
        created_at=when, confirmed_at=when,
    )  # fmt: skip


def test_signers_who_later_give_and_the_median_wait(site_tree, petition):
    organisation(site_tree.site, time_zone="UTC")
    a, b, c, d = (supporter(f"{name}@example.org") for name in "abcd")
    sign(petition, a, datetime(2026, 1, 1, tzinfo=UTC))
    sign(petition, b, datetime(2026, 1, 1, tzinfo=UTC))
    sign(petition, c, datetime(2026, 1, 10, tzinfo=UTC))
    sign(petition, d, datetime(2026, 1, 1, tzinfo=UTC), status="pending")  # unconfirmed: not counted
    gift(a, datetime(2026, 1, 3, tzinfo=UTC))  # 2 days later
    gift(a, datetime(2026, 2, 3, tzinfo=UTC))  # a second gift does not change the first
    gift(b, datetime(2026, 1, 7, tzinfo=UTC))  # 6 days later
    gift(c, datetime(2026, 1, 5, tzinfo=UTC))  # before signing: not "later"
    gift(d, datetime(2026, 1, 2, tzinfo=UTC))
    insights_fold()
    rows = {row.label: row for row in selectors.advocacy(selectors.Scope.default()).rows}
    signed = rows["Signed a petition"]
    assert (signed.people, signed.gave_after, signed.median_days) == (3, 2, 4.0)
    assert rows["Joined a march"].people == 0
