"""Campaign pages and targets, as a visitor and staff see them."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import CampaignPage, CampaignUpdate
from donations.services.staff import donation_record_offline
from tests.conftest import publish, translate


def test_a_target_public_view_never_shows_a_private_email(target):
    view = target.public_view()
    assert view["name"] == "Rana Khalil"
    assert view["role"] == "Minister of Water"
    assert view["email"] == ""
    assert "minister.private" not in repr(view)
    target.email_is_public = True
    assert target.public_view()["email"] == "minister.private@example.gov"


def test_a_target_phone_becomes_a_tel_link(target):
    assert target.tel_href == "tel:+96265550100"
    target.phone = "(06) 555-0100"
    assert target.tel_href == "tel:065550100"
    target.phone = ""
    assert target.tel_href == ""


def test_a_target_reads_in_arabic(target, settings):
    from django.utils import translation

    with translation.override("ar"):
        assert target.public_view()["name"] == "رنا خليل"
        assert target.public_view()["role"] == "وزيرة المياه"


def test_a_goal_needs_a_figure_and_an_amount_goal_a_currency(site_tree):
    page = CampaignPage(title="x", slug="x", hero_heading="x", goal_kind=CampaignPage.GoalKind.SIGNATURES)
    with pytest.raises(ValidationError) as error:
        page.clean()
    assert "goal_number" in error.value.message_dict
    page = CampaignPage(title="x", slug="x", hero_heading="x", goal_kind=CampaignPage.GoalKind.AMOUNT, goal_number=5)
    with pytest.raises(ValidationError) as error:
        page.clean()
    assert "goal_currency" in error.value.message_dict


def test_the_campaign_page_shows_its_story_updates_and_money_raised(client, campaign, staff_user):
    CampaignUpdate.objects.create(
        page=campaign, published_on=datetime.date(2026, 11, 1), title="First well dug", body="<p>In Mafraq.</p>"
    )
    donation_record_offline(
        name="Omar Saleh",
        email="omar@example.org",
        amount_minor=25_000,
        currency="USD",
        method="cash",
        received_on=datetime.date(2026, 11, 2),
        reference="R-1",
        evidence=None,
        user=staff_user,
        designation_page_id=campaign.pk,
        request_id=uuid.uuid4(),
    )
    progress = campaign.progress()
    assert (progress.current, progress.goal, progress.percent) == (25_000, 100_000, 25)
    response = client.get(campaign.url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Clean water for every village" in html
    assert "First well dug" in html
    assert "$250.00 raised of $1,000" in html
    assert 'aria-valuenow="25"' in html


def test_the_campaign_page_reads_right_to_left_in_arabic(client, campaign, site_tree):
    translate(campaign, site_tree.arabic, title="مياه نظيفة", hero_heading="مياه نظيفة لكل قرية")
    response = client.get("/ar/clean-water/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'dir="rtl"' in html
    assert "مياه نظيفة لكل قرية" in html


def test_child_actions_are_listed_and_count_towards_the_goal(client, campaign):
    from cms.models import StandardPage

    child = StandardPage(title="Background briefing", slug="briefing", search_description="What is at stake.")
    campaign.add_child(instance=child)
    publish(child)
    html = client.get(campaign.url).content.decode()
    assert "Background briefing" in html
    assert "What is at stake." in html
