"""`manage.py load_demo`: a site worth looking at, made once, never clobbering staff edits."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from cms.models import HomePage, OrganisationSettings, StandardPage


def load(**kwargs) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **kwargs)
    return out.getvalue()


@pytest.fixture
def demo(db):
    load()


def test_demo_builds_the_tree_in_both_languages(demo, client):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert HomePage.objects.live().count() == 2
    assert StandardPage.objects.live().count() == 6
    assert {p.locale.language_code for p in StandardPage.objects.all()} == {"en", "ar"}
    # Wagtail's placeholder welcome page is gone.
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()
    for path, marker in [
        ("/", "Wells of Hope"),
        ("/ar/", "آبار الأمل"),
        ("/about/", "Our story"),
        ("/ar/about/", "قصتنا"),
        ("/our-work/", "youtube-nocookie"),
        ("/ar/privacy/", "حقوقك"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert marker in response.content.decode(), path  # fmt: skip


def test_demo_fills_site_settings(demo):
    organisation = OrganisationSettings.for_site(Site.objects.get(is_default_site=True))
    assert organisation.organisation_name == "Wells of Hope"
    assert organisation.charity_number
    assert organisation.time_zone == "Asia/Amman"
    assert organisation.logo is not None
    assert len(organisation.footer_links) == 2


def test_running_it_again_changes_nothing(demo):
    counts = (Page.objects.count(), get_image_model().objects.count())
    assert "nothing changed" in load()
    assert (Page.objects.count(), get_image_model().objects.count()) == counts


def test_staff_edits_survive_a_rerun(demo):
    site = Site.objects.get(is_default_site=True)
    organisation = OrganisationSettings.for_site(site)
    organisation.organisation_name = "Springs Trust"
    organisation.save()
    about = StandardPage.objects.get(slug="about", locale__language_code="en")
    about.title = "Who we are"
    about.save_revision().publish()
    load()
    assert OrganisationSettings.for_site(site).organisation_name == "Springs Trust"
    assert StandardPage.objects.get(pk=about.pk).title == "Who we are"
