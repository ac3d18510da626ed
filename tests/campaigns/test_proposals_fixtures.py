"""Fixtures shared by the proposals tests (imported by each test_proposals_* module; holds no tests)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, TestCase
from django.utils import timezone

from campaigns.proposals.models import ProposalRound
from campaigns.proposals.services import proposal_create, proposal_publish
from supporters.auth import supporter_sign_in
from supporters.models import Supporter


def make_supporter(email: str, language: str = "en") -> Supporter:
    return Supporter.objects.create(email=email, language=language, email_verified_at=timezone.now())


def committed():
    """Run what a request queued for after its commit (tasks run eagerly), as a real commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def signed_in_client(supporter: Supporter) -> Client:
    """A browser with a supporter session, made the way the sign-in view makes one."""
    from importlib import import_module

    from django.conf import settings
    from django.http import HttpRequest

    client = Client()
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    supporter_sign_in(request, supporter)
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client


@pytest.fixture
def open_round(db) -> ProposalRound:
    now = timezone.now()
    return ProposalRound.objects.create(
        name="2027 priorities",
        name_ar="أولويات 2027",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        votes_per_supporter=2,
        ready_threshold=2,
    )


@pytest.fixture
def proposer(db) -> Supporter:
    return make_supporter("proposer@example.org")


@pytest.fixture
def voters(db) -> list[Supporter]:
    return [make_supporter(f"voter{n}@example.org") for n in range(3)]


def published(supporter: Supporter, title: str, body: str = "Because every village needs it now.", **kwargs):
    proposal = proposal_create(supporter=supporter, title=title, body=body, **kwargs)
    with committed():
        return proposal_publish(proposal_id=proposal.pk)


@pytest.fixture(autouse=True)
def english() -> None:
    """Start each test in English: a request to an /ar/ page leaves Arabic active in the test's thread."""
    from django.utils import translation

    translation.activate("en")
