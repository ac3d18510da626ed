"""Fixtures for petitions: an open petition in English and Arabic below the test campaign.

Import the fixtures into a test module with
``from tests.campaigns.petition_fixtures import *  # noqa: F403`` (only the
fixtures are exported), and the helpers by name.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from campaigns.models import CampaignPage, Target
from campaigns.petitions.models import PetitionMilestone, PetitionPage
from campaigns.petitions.services import signature_mails_send, signature_sign
from tests.conftest import publish, translate

__all__ = ["fold", "petition", "petition_ar", "real_counting"]


@pytest.fixture
def real_counting(settings):
    """The production path: mails and folds by the periodic tasks, not inline."""
    from campaigns.petitions import abuse

    # What the sign path keeps in this process must not leak from one test into the next.
    abuse.petition_sign_info_clear(list(abuse._sign_info_local))
    abuse.disposable_domains_changed()
    settings.PETITION_MAIL_BATCHED = True
    settings.PETITION_FOLD_ON_CONFIRM = False
    # Test signers share one domain; the domain limits have tests of their own.
    settings.PETITION_RATE_DOMAIN_EXEMPT = [*settings.PETITION_RATE_DOMAIN_EXEMPT, "example.org"]
    return settings


@pytest.fixture
def fold(django_capture_on_commit_callbacks):
    """Run the fold task, and what it queues on commit (the milestone emails)."""
    from campaigns.petitions.tasks import petitions_fold

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return petitions_fold.delay().get()

    return run


@pytest.fixture
def petition(campaign: CampaignPage, target: Target, real_counting) -> PetitionPage:
    page = PetitionPage(
        title="Fix the wells of Mafraq",
        slug="fix-the-wells",
        summary="Broken wells leave 20,000 people without water.",
        ask="<p>Repair every broken well in Mafraq within a year.</p>",
        state=PetitionPage.State.OPEN,
        goal=10,
    )
    campaign.add_child(instance=page)
    page.targets.add(target)
    page.milestones.add(PetitionMilestone(count=3, message="Three already!"))
    page.save()
    return publish(page)


@pytest.fixture
def petition_ar(petition: PetitionPage, site_tree) -> PetitionPage:
    campaign_ar = petition.get_parent().specific
    if campaign_ar.get_translation_or_none(site_tree.arabic) is None:
        translate(campaign_ar, site_tree.arabic, title="مياه نظيفة الآن", hero_heading="مياه نظيفة لكل قرية")
    return translate(
        petition,
        site_tree.arabic,
        title="أصلحوا آبار المفرق",
        summary="الآبار المعطلة تترك عشرين ألف شخص بلا ماء.",
        ask="<p>أصلحوا كل بئر معطلة في المفرق خلال عام.</p>",
    )


SIGNER: dict[str, Any] = {
    "name": "Maya Haddad",
    "email": "maya@example.org",
    "country": "JO",
    "city": "Amman",
    "public": True,
    "updates": True,
}


def sign(petition: PetitionPage, n: int = 0, **overrides: Any):
    """Sign as a distinct person (n) from a distinct address; returns the outcome."""
    data = {**SIGNER, "email": f"signer{n}@example.org", "ip": f"10.0.{n // 250}.{n % 250 + 1}", **overrides}
    return signature_sign(petition_id=petition.pk, **data)


def confirm_link_from_outbox() -> str:
    """The confirmation path in the newest mail in Django's test outbox."""
    import re

    body = mail.outbox[-1].body
    match = re.search(r"https?://[^\s]+/confirm/\d+/[0-9a-f]+/", body)
    assert match, body
    return match.group(0)


def mails_drain() -> int:
    total = 0
    while sent := signature_mails_send():
        total += sent
    return total
