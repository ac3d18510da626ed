"""Advocacy to giving: signers who later give, and the median time to their first gift."""

from __future__ import annotations

import random
import statistics
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.utils import timezone

from campaigns.marches.models import MarchParticipant
from campaigns.petitions.models import Signature
from donations.insights import selectors
from donations.insights.models import AdvocacyRollup, ExchangeRate
from donations.insights.services import insights_fold
from donations.models import Donation
from tests.campaigns.petition_fixtures import *  # noqa: F403
from tests.campaigns.test_marches_fixtures import future_march, second_target  # noqa: F401
from tests.donations.insights_helpers import gift, organisation, supporter, touch


def sign(petition, person, when: datetime, status: str = "confirmed", email: str = "") -> Signature:
    # ``email``: another address of the same person (one active signature per address and petition).
    return Signature.objects.create(
        petition=petition, supporter=person, status=status, name="X", email=email or person.email,
        email_canonical=email or person.email, email_domain="example.org", country="JO", consent_version="v1",
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


def recompute(scope: selectors.Scope, zone: ZoneInfo) -> list[tuple]:
    """Advocacy to giving straight from the signatures, registrations and gift rows (no facts, no rollup)."""
    gifts: dict[int, list] = {}
    for donation in Donation.objects.all():
        paid = donation.succeeded_at is not None and donation.dispute_status != "lost"
        if not paid or donation.amount_minor - donation.amount_refunded_minor <= 0 or donation.currency == "JPY":
            continue  # JPY has no rate: left out of every figure
        if scope.surface and donation.surface != scope.surface:
            continue
        if scope.page_id and donation.designation_page_id != scope.page_id:
            continue
        gifts.setdefault(donation.supporter_id, []).append(donation.created_at)
    firsts = {"signatures": {}, "marches": {}}
    for supporter_id, at in Signature.objects.filter(status="confirmed").values_list("supporter_id", "created_at"):
        if supporter_id and (supporter_id not in firsts["signatures"] or at < firsts["signatures"][supporter_id]):
            firsts["signatures"][supporter_id] = at
    for supporter_id, at in MarchParticipant.objects.values_list("supporter_id", "created_at"):
        if supporter_id not in firsts["marches"] or at < firsts["marches"][supporter_id]:
            firsts["marches"][supporter_id] = at
    found = []
    for key in ("signatures", "marches"):
        people, waits = 0, []
        for supporter_id, first in firsts[key].items():
            day = first.astimezone(zone).date()
            if (scope.since and day < scope.since) or (scope.until and day > scope.until):
                continue
            people += 1
            later = [at for at in gifts.get(supporter_id, []) if at > first]
            if later:
                waits.append((min(later) - first).days)
        found.append((people, len(waits), statistics.median(waits) if waits else None))
    return found


def seen(advocacy: selectors.Advocacy) -> list[tuple]:
    return [(row.people, row.gave_after, row.median_days) for row in advocacy.rows]


def test_the_advocacy_rollup_equals_a_recomputation_on_randomised_actions_and_gifts(
    site_tree,
    petition,
    future_march,  # noqa: F811
):
    zone = ZoneInfo("America/New_York")
    organisation(site_tree.site, time_zone="America/New_York")
    ExchangeRate.objects.create(currency="JOD", reporting_currency="USD", valid_from=date(2020, 1, 1), rate="1.41")
    rng = random.Random(11)
    now = timezone.now()
    march = future_march
    people = [supporter(f"act{n}@example.org") for n in range(50)]
    pages = [None, site_tree.home, site_tree.about]
    start = now - timedelta(days=400)
    signatures = []
    marched: set[int] = set()
    # The evening of 2025-11-01 in New York (DST ends the next day): a first action at 23:30 local
    # is on the 1st locally, the 2nd in UTC.
    edge = supporter("edge@example.org")
    sign(petition, edge, datetime(2025, 11, 2, 3, 30, tzinfo=UTC))
    gift(edge, datetime(2025, 11, 3, 4, 45, tzinfo=UTC))  # 25 h 15 min later: a wait of 1 whole day
    for _round in range(4):
        for _n in range(25):
            person = rng.choice(people)
            signed_at = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 380))
            status = rng.choice(["confirmed", "confirmed", "confirmed", "pending"])
            # Confirmed now (this fold's window), though signed earlier.
            signature = sign(petition, person, signed_at, status=status, email=f"{len(signatures)}.{person.email}")
            Signature.objects.filter(pk=signature.pk).update(
                confirmed_at=timezone.now() if status == "confirmed" else None
            )
            signatures.append(signature)
        for _n in range(30):
            at = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 540))
            gift(
                rng.choice(people), at, rng.choice([500, 2500]), rng.choice(["USD", "USD", "JOD", "JPY"]),
                surface=rng.choice(["page", "embed"]), designation_page=rng.choice(pages),
                paid=rng.random() > 0.1,
            )  # fmt: skip
        for person in rng.sample([p for p in people if p.pk not in marched], 4):
            MarchParticipant.objects.create(march=march, supporter=person, name="X", region="Amman")
            marched.add(person.pk)
        # Some signatures are invalidated or erased later; some gifts refunded.
        # (of earlier rounds: already folded, so only the invalidation says they changed)
        for signature in rng.sample(signatures[:-25], 3 if len(signatures) > 25 else 0):
            Signature.objects.filter(pk=signature.pk, status="confirmed").update(
                status="invalidated", invalidated_at=timezone.now()
            )
        for donation in rng.sample(list(Donation.objects.filter(succeeded_at__isnull=False)), 3):
            touch(donation, amount_refunded_minor=donation.amount_minor)
        insights_fold()
        insights_fold()  # again: nothing changes
        # Time passes: these confirmations leave the next fold's window (it looks back two minutes).
        Signature.objects.filter(confirmed_at__isnull=False).update(confirmed_at=start)
    # Three signers' first signatures are withdrawn after folding: their first action moves to a later one.
    firsts = {}
    for signature in Signature.objects.filter(status="confirmed").exclude(supporter=edge).order_by("created_at"):
        firsts.setdefault(signature.supporter_id, signature)
    for signature in rng.sample(sorted(firsts.values(), key=lambda s: s.pk), 3):
        Signature.objects.filter(pk=signature.pk).update(status="invalidated", invalidated_at=timezone.now())
    insights_fold()
    scopes = [
        selectors.Scope(),
        selectors.Scope(since=date(2025, 11, 1), until=date(2025, 11, 1)),  # the 23:30 signature's local day
        selectors.Scope(since=(start + timedelta(days=90)).date(), until=(now - timedelta(days=60)).date()),
        selectors.Scope(since=date(2025, 12, 1), until=date(2026, 2, 28)),  # whole months only
        selectors.Scope(since=date(2026, 1, 9), until=date(2026, 1, 20)),  # days within one month
        selectors.Scope(since=date(2026, 1, 9), until=date(2026, 2, 20)),  # two partial months
        selectors.Scope(until=date(2026, 3, 14)),
        selectors.Scope(surface="embed", since=date(2025, 12, 31)),
        selectors.Scope(page_id=site_tree.home.pk, since=(start + timedelta(days=30)).date()),
    ]
    for scope in scopes:
        expected = recompute(scope, zone)
        assert seen(selectors.advocacy(scope)) == expected, scope
        assert seen(selectors.advocacy_from_facts(scope)) == expected, scope
    # Two filters at once have no rollup slice: computed from the facts, still the same answer.
    both = selectors.Scope(surface="page", page_id=site_tree.about.pk)
    assert seen(selectors.advocacy(both)) == recompute(both, zone)
    total = seen(selectors.advocacy(selectors.Scope()))
    assert total[0][0] > 20 and total[0][1] > 5 and total[1][0] == 16 and total[1][1] > 0
    edge_day = seen(selectors.advocacy(scopes[1]))[0]
    assert edge_day[0] >= 1 and edge_day[1] >= 1
    assert AdvocacyRollup.objects.filter(grain="d", local_date=date(2025, 11, 1), slice="", wait_days=1).exists()
    assert insights_fold().changed == 0
    rolled = sorted(
        AdvocacyRollup.objects.values_list("grain", "slice", "value", "source", "local_date", "wait_days", "people")
    )
    call_command("insights_rebuild")
    assert (
        sorted(
            AdvocacyRollup.objects.values_list("grain", "slice", "value", "source", "local_date", "wait_days", "people")
        )
        == rolled
    )
