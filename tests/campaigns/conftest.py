"""Fixtures for advocacy: a campaign page and the officials it addresses."""

from __future__ import annotations

import pytest

from campaigns.models import CampaignPage, Target
from tests.conftest import publish


@pytest.fixture
def target(db) -> Target:
    return Target.objects.create(
        name="Rana Khalil",
        name_ar="رنا خليل",
        role="Minister of Water",
        role_ar="وزيرة المياه",
        office="Ministry of Water and Irrigation",
        region="Amman",
        phone="+962 6 555 0100",
        email="minister.private@example.gov",
        web_form_url="https://example.gov/contact",
    )


@pytest.fixture
def campaign(site_tree) -> CampaignPage:
    page = CampaignPage(
        title="Clean water now",
        slug="clean-water",
        summary="Every village deserves a well.",
        hero_heading="Clean water for every village",
        hero_text="Sign, call and give.",
        goal_kind=CampaignPage.GoalKind.AMOUNT,
        goal_number=1000,
        goal_currency="USD",
    )
    site_tree.home.add_child(instance=page)
    return publish(page)
