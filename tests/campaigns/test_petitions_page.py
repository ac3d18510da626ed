"""The public petition page, the embeddable widget and its framing rules."""

from __future__ import annotations

import datetime

from django.utils import timezone

from campaigns.petitions.models import AdvocacySettings, PetitionPage, Signature
from campaigns.petitions.services import signature_confirm, signature_token
from tests.campaigns.petition_fixtures import *  # noqa: F403
from tests.campaigns.petition_fixtures import sign


def test_the_page_shows_the_ask_targets_progress_form_and_share_links(client, petition):
    response = client.get(petition.url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Repair every broken well in Mafraq" in body
    assert "Rana Khalil" in body and "minister.private@example.gov" not in body
    assert f'action="/act/petitions/{petition.pk}/sign/"' in body
    for field, label in [("name", "Full name"), ("email", "Email"), ("country", "Country"),
                         ("postcode", "Postcode (optional)"), ("city", "Town or city (optional)"),
                         ("comment", "Why are you signing? (optional)")]:  # fmt: skip
        assert f'for="id_{field}"' in body, field
        assert label in body, label
    assert 'name="website"' in body  # the honeypot
    assert '<progress id="progress-' in body and 'max="3"' in body  # the next milestone
    assert "https://wa.me/?text=" in body
    assert "https://twitter.com/intent/tweet?" in body
    assert "https://www.facebook.com/sharer/sharer.php?" in body
    assert "mailto:?subject=" in body
    # No third-party script or frame.
    assert "<iframe" not in body
    for src in body.split('<script src="')[1:]:
        assert src.startswith("/static/"), src[:60]
    # The page carries no per-visitor token, so the page cache can share it.
    assert "csrfmiddlewaretoken" not in body


def test_the_arabic_page_is_right_to_left(client, petition_ar):
    body = client.get(petition_ar.url).content.decode()
    assert 'dir="rtl"' in body
    assert "أصلحوا كل بئر معطلة" in body
    assert f'action="/ar/act/petitions/{petition_ar.pk}/sign/"' in body


def test_a_closed_petition_has_no_form_and_shows_its_response(client, petition):
    petition.state = PetitionPage.State.CLOSED
    petition.save_revision().publish()
    petition.state = PetitionPage.State.DELIVERED
    petition.delivered_on = datetime.date(2026, 11, 1)
    petition.save_revision().publish()
    petition.state = PetitionPage.State.RESPONDED
    petition.response_from = "The Ministry of Water"
    petition.responded_on = datetime.date(2026, 11, 20)
    petition.response = "<p>We will repair forty wells by June.</p>"
    petition.full_clean()
    petition.save_revision().publish()
    body = client.get(petition.url).content.decode()
    assert "/sign/" not in body
    assert "not taking signatures" in body
    assert "The response from The Ministry of Water" in body
    assert "We will repair forty wells by June." in body


def test_states_only_move_forward(petition):
    import pytest
    from django.core.exceptions import ValidationError

    petition.state = PetitionPage.State.RESPONDED
    with pytest.raises(ValidationError) as error:
        petition.full_clean()
    assert "state" in error.value.message_dict
    petition.state = PetitionPage.State.DRAFT
    with pytest.raises(ValidationError):
        petition.full_clean()


def test_a_petition_not_yet_open_takes_no_signatures(client, petition):
    petition.opens_at = timezone.now() + datetime.timedelta(days=1)
    petition.save_revision().publish()
    body = client.get(petition.url).content.decode()
    assert "Not open yet" in body
    assert "/sign/" not in body


def test_the_rest_of_the_site_refuses_to_be_framed(client, petition):
    response = client.get(petition.url)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_widget_is_framed_only_by_allowed_origins(client, petition, site_tree):
    embed = f"/act/petitions/{petition.pk}/embed/"
    refused = client.get(embed)
    assert refused.status_code == 200
    assert "frame-ancestors 'none'" in refused["Content-Security-Policy"]
    assert refused["X-Frame-Options"] == "DENY"
    settings = AdvocacySettings.for_site(site_tree.site)
    settings.embed_allowed_origins = "https://partner.example.org\nhttps://news.example.com:8443"
    settings.full_clean()
    settings.save()
    allowed = client.get(embed)
    csp = allowed["Content-Security-Policy"]
    assert "frame-ancestors https://partner.example.org https://news.example.com:8443" in csp
    assert "X-Frame-Options" not in allowed
    # Only the widget: the petition page itself still refuses.
    assert client.get(petition.url)["X-Frame-Options"] == "DENY"
    body = allowed.content.decode()
    assert f'action="/act/petitions/{petition.pk}/embed/sign/"' in body


def test_bad_embed_origins_are_refused_by_the_settings_form(site_tree):
    import pytest
    from django.core.exceptions import ValidationError

    settings = AdvocacySettings.for_site(site_tree.site)
    settings.embed_allowed_origins = "partner.example.org\nhttps://ok.example.org/path"
    with pytest.raises(ValidationError) as error:
        settings.full_clean()
    assert "partner.example.org" in str(error.value)


def test_signing_in_the_widget_records_embed_as_the_source(client, petition, site_tree):
    settings = AdvocacySettings.for_site(site_tree.site)
    settings.embed_allowed_origins = "https://partner.example.org"
    settings.save()
    response = client.post(
        f"/act/petitions/{petition.pk}/embed/sign/",
        {"name": "Omar Saleh", "email": "omar@example.org", "country": "EG"},
    )
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert "frame-ancestors https://partner.example.org" in response["Content-Security-Policy"]
    assert Signature.objects.get().source == Signature.Source.EMBED
    bad = client.post(f"/act/petitions/{petition.pk}/embed/sign/", {"name": "", "email": "x", "country": "EG"})
    assert bad.status_code == 400
    assert "There is a problem" in bad.content.decode()


def test_the_count_json_and_the_page_agree(client, petition, fold):
    for n in range(2):
        sign(petition, n)
    for signature in Signature.objects.all():
        signature_confirm(
            signature_id=signature.pk,
            token=signature_token(
                signature_id=signature.pk, email_canonical=signature.email_canonical, created_at=signature.created_at
            ),
        )
    fold()
    data = client.get(f"/act/petitions/{petition.pk}/count.json").json()
    assert data == {
        "petition": petition.pk,
        "canonical_id": petition.pk,
        "state": "open",
        "total": 2,
        "goal": 10,
        "next_milestone": 3,
        "percent": 66,
        "updated_at": data["updated_at"],
    }
    assert "data-petition-count>2<" in client.get(petition.url).content.decode()


def test_staff_can_preview_a_petition_before_its_first_save(campaign, target):
    page = PetitionPage(title="Draft petition", slug="draft-petition", ask="<p>Open the wells.</p>", goal=50)
    page.path = campaign.path + "0099"
    page.depth = campaign.depth + 1
    page.url_path = campaign.url_path + "draft-petition/"
    page.locale = campaign.locale
    response = page.make_preview_request()
    assert response.status_code == 200
    assert "Open the wells." in response.content.decode()


def test_the_shared_page_shows_the_new_count_after_a_fold_even_without_javascript(client, petition, settings, fold):
    settings.PAGE_CACHE_SECONDS = 300
    first = client.get(petition.url)
    assert first["X-Page-Cache"] == "miss"
    assert client.get(petition.url)["X-Page-Cache"] == "hit"
    assert "data-petition-count>0<" in client.get(petition.url).content.decode()
    sign(petition, 1)
    signature = Signature.objects.get()
    signature_confirm(
        signature_id=signature.pk,
        token=signature_token(
            signature_id=signature.pk, email_canonical=signature.email_canonical, created_at=signature.created_at
        ),
    )
    assert "data-petition-count>0<" in client.get(petition.url).content.decode()  # not folded yet
    fold()
    after = client.get(petition.url)
    assert after["X-Page-Cache"] == "miss"
    assert "data-petition-count>1<" in after.content.decode()
    assert client.get(petition.url)["X-Page-Cache"] == "hit"
