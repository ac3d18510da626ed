"""Staff edit petitions, the disposable-domain list and the advocacy settings in the Wagtail admin."""

from __future__ import annotations

from campaigns.petitions.models import DisposableDomain, PetitionPage
from tests.campaigns.petition_fixtures import *  # noqa: F403


def test_staff_can_add_a_petition_under_a_campaign_and_the_home_page(staff_client, campaign, site_tree):
    assert PetitionPage in campaign.specific_class.allowed_subpage_models()
    assert PetitionPage in site_tree.home.specific_class.allowed_subpage_models()
    response = staff_client.get(f"/admin/pages/add/campaigns/petitionpage/{campaign.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    for field in ("ask", "targets", "state", "goal", "opens_at", "closes_at", "milestones", "response"):
        assert f'name="{field}' in body or f'id="id_{field}' in body, field


def test_the_disposable_domain_list_is_seeded_and_editable(staff_client, db):
    assert DisposableDomain.objects.filter(domain="mailinator.com").exists()
    assert DisposableDomain.objects.count() >= 8
    listing = staff_client.get("/admin/snippets/campaigns/disposabledomain/")
    assert listing.status_code == 200
    assert "mailinator.com" in listing.content.decode()
    response = staff_client.post(
        "/admin/snippets/campaigns/disposabledomain/add/", {"domain": " @Burner.Example ", "note": "seen in a surge"}
    )
    assert response.status_code == 302
    assert DisposableDomain.objects.filter(domain="burner.example").exists()


def test_the_advocacy_settings_are_editable(staff_client, site_tree):
    url = f"/admin/settings/campaigns/advocacysettings/{site_tree.site.pk}/"
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url, {"embed_allowed_origins": "https://partner.example.org", "milestone_notify_emails": "team@example.org"}
    )
    assert response.status_code == 302
    from campaigns.petitions.models import AdvocacySettings

    assert AdvocacySettings.for_site(site_tree.site).origins() == ["https://partner.example.org"]
    bad = staff_client.post(url, {"embed_allowed_origins": "not an origin", "milestone_notify_emails": ""})
    assert bad.status_code == 200
    assert "Not an origin" in bad.content.decode()
