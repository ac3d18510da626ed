"""Staff editing site settings and pages through the Wagtail admin (HTTP level)."""

from __future__ import annotations

import re

import pytest
from wagtail.models import Page
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.models import OrganisationSettings, StandardPage


def settings_url(site) -> str:
    return f"/admin/settings/cms/organisationsettings/{site.pk}/"


def settings_form(**overrides) -> dict:
    data = {
        "organisation_name": "Wells of Hope",
        "organisation_name_ar": "آبار الأمل",
        "legal_name": "",
        "legal_name_ar": "",
        "charity_number": "JO-1234",
        "address": "",
        "address_ar": "",
        "contact_email": "",
        "default_currency": "JOD",
        "time_zone": "Asia/Amman",
        "fiscal_year_start_month": "4",
        "logo": "",
        "footer_links": streamfield([]),
    }
    data.update(overrides)
    return nested_form_data(data)


def test_settings_form_offers_currencies_time_zones_and_months(staff_client, site_tree):
    body = staff_client.get(settings_url(site_tree.site)).content.decode()
    assert '<option value="JOD">JOD – Jordanian Dinar</option>' in body
    assert '<option value="Asia/Amman">Asia/Amman</option>' in body
    assert '<option value="4">April</option>' in body


def test_staff_save_organisation_settings(staff_client, site_tree, client):
    response = staff_client.post(settings_url(site_tree.site), settings_form())
    assert response.status_code == 302
    organisation = OrganisationSettings.for_site(site_tree.site)
    assert (organisation.default_currency, organisation.time_zone, organisation.fiscal_year_start_month) == (
        "JOD",
        "Asia/Amman",
        4,
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus", "Mars/Olympus is not a known time zone."),
        ("default_currency", "XBT", "XBT is not a supported currency."),
        ("fiscal_year_start_month", "13", "Select a valid choice"),
        ("organisation_name", "", "This field is required"),
    ],
)
def test_bad_settings_are_refused_with_a_message(staff_client, site_tree, field, value, message):
    before = OrganisationSettings.for_site(site_tree.site).charity_number
    response = staff_client.post(settings_url(site_tree.site), settings_form(**{field: value}, charity_number="NEW"))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert OrganisationSettings.for_site(site_tree.site).charity_number == before


def test_staff_create_and_publish_a_page_with_blocks(staff_client, site_tree, client):
    data = nested_form_data(
        {
            "title": "Annual report",
            "slug": "annual-report",
            "intro": "What we did this year.",
            "body": streamfield(
                [
                    ("heading", {"text": "Highlights", "level": "h2"}),
                    ("paragraph", rich_text("<p>Twelve wells.</p>")),
                    ("quote", {"text": "Worth it.", "attribution": "Omar", "role": ""}),
                ]
            ),
            "action-publish": "publish",
        }
    )
    response = staff_client.post(f"/admin/pages/add/cms/standardpage/{site_tree.home.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = StandardPage.objects.get(slug="annual-report")
    assert page.live and page.locale == site_tree.english
    public = client.get("/annual-report/").content.decode()
    assert "Highlights" in public and "Twelve wells." in public and "Worth it." in public


def test_staff_translate_a_page_into_arabic(staff_client, site_tree, client):
    report = StandardPage(title="Annual report", slug="report", locale=site_tree.english)
    site_tree.home.add_child(instance=report)
    report.save_revision().publish()
    url = f"/admin/translation/submit/page/{report.pk}/"

    def offered() -> list[str]:
        return re.findall(r'<input[^>]*name="locales"[^>]*value="(\d+)"', staff_client.get(url).content.decode())

    assert offered() == [str(site_tree.arabic.pk)]
    response = staff_client.post(url, {"locales": [site_tree.arabic.pk]})
    assert response.status_code == 302
    arabic = StandardPage.objects.get(translation_key=report.translation_key, locale=site_tree.arabic)
    # A draft for the translator: nothing half-translated goes public.
    assert not arabic.live
    assert client.get("/ar/report/").status_code == 404
    # Asking again offers no locale that already has a translation, and duplicates nothing.
    assert str(site_tree.arabic.pk) not in offered()
    assert Page.objects.filter(translation_key=report.translation_key).count() == 2
