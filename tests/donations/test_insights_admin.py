"""The Insights section: who may see it, what each page shows, and that each export is exactly its table."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group, Permission
from openpyxl import load_workbook

from donations.insights.models import ExchangeRate, SpikeAnnotation
from donations.insights.services import insights_fold
from tests.donations.insights_helpers import gift, organisation, supporter

SECTIONS = ["when", "calendar", "gifts", "donors", "sources", "people"]


@pytest.fixture
def org(site_tree):
    return organisation(site_tree.site, currency="USD", time_zone="Asia/Amman")


@pytest.fixture
def gifts(org):
    ExchangeRate.objects.create(currency="JOD", reporting_currency="USD", valid_from=date(2026, 1, 1), rate="1.41")
    amina, omar = supporter("amina@example.org"), supporter("omar@example.org")
    # 10:00 UTC is 13:00 in Amman (UTC+3); 3 March 2026 is a Tuesday, in Ramadan 1447.
    gift(amina, datetime(2026, 3, 3, 10, 0, tzinfo=UTC), 5000, surface="embed", utm_source="newsletter")
    gift(amina, datetime(2026, 3, 11, 10, 0, tzinfo=UTC), 2500, address_country="JO")
    gift(omar, datetime(2026, 3, 3, 10, 30, tzinfo=UTC), 100000, "JOD", device_class="mobile")
    insights_fold()


@pytest.fixture
def analyst(client, django_user_model):
    user = django_user_model.objects.create_user(username="analyst", password="x")
    group = Group.objects.create(name="Analysts")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="view_insights")
    )
    user.groups.add(group)
    client.force_login(user)
    return client


def test_staff_without_the_analytics_permission_are_refused(client, django_user_model, gifts):
    editor = django_user_model.objects.create_user(username="plain", password="x")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    # Wagtail turns the refusal into a redirect to the dashboard with a message; no figure is shown.
    for url in [f"/admin/insights/{section}/" for section in SECTIONS] + [
        "/admin/insights/when/?export=csv&panel=heatmap"
    ]:
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    client.logout()
    response = client.get("/admin/insights/when/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("section", SECTIONS)
def test_every_section_renders_for_an_analyst(analyst, gifts, section):
    response = analyst.get(f"/admin/insights/{section}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "converted with: 1 JOD = 1.41 USD (2026-01-01) for 1 gift" in html
    assert "?export=csv" in html and "<table" in html


def test_the_heatmap_shows_tuesday_one_pm_local_and_its_export_matches(analyst, gifts):
    response = analyst.get("/admin/insights/when/?export=csv&panel=heatmap")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Weekday", "Hour", "Gifts", "Amount (USD)"]
    data = {(r[0], r[1]): (r[2], r[3]) for r in rows[1:] if len(r) == 4}
    # 50.00 USD plus 100 JOD at 1.41 = 141.00 USD, both on Tuesday at 13:00 in Amman.
    assert data[("Tuesday", "13:00")] == ("2", "191.00")
    assert data[("Tuesday", "10:00")] == ("0", "0.00")
    assert rows[-1][0] == "Rates" and "1.41" in rows[-1][1]
    assert len([r for r in rows[1:] if len(r) == 4]) == 7 * 24


def test_the_xlsx_export_has_the_same_rows(analyst, gifts):
    csv_rows = list(
        csv.reader(
            io.StringIO(analyst.get("/admin/insights/sources/?export=csv&panel=channels").content.decode("utf-8-sig"))
        )
    )
    book = load_workbook(io.BytesIO(analyst.get("/admin/insights/sources/?export=xlsx&panel=channels").content))
    sheet_rows = [[("" if v is None else str(v)) for v in row] for row in book.active.iter_rows(values_only=True)]
    assert csv_rows[0] == sheet_rows[0] == ["Channel", "Gifts", "Amount (USD)"]
    assert {tuple(r) for r in csv_rows[1:3]} == {("Donate page", "2", "166.00"), ("Embedded form", "1", "50.00")}
    assert [[row[0], int(row[1]), float(row[2])] for row in sheet_rows[1:3]] == [
        [row[0], int(row[1]), float(row[2])] for row in csv_rows[1:3]
    ]


def test_filters_narrow_every_figure(analyst, gifts):
    response = analyst.get("/admin/insights/sources/?export=csv&panel=channels&channel=embed")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ["Embedded form", "1", "50.00"] and rows[2] == []
    response = analyst.get("/admin/insights/when/?export=csv&panel=heatmap&since=2026-03-05")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    data = {(r[0], r[1]): r[2] for r in rows[1:] if len(r) == 4}
    assert (data[("Tuesday", "13:00")], data[("Wednesday", "13:00")]) == ("0", "1")


def test_an_annotation_appears_on_the_time_charts(analyst, gifts):
    response = analyst.post("/admin/insights/annotate/", {"day": "2026-03-03", "note": "Earthquake appeal"})
    assert response.status_code == 302
    assert SpikeAnnotation.objects.get().note == "Earthquake appeal"
    assert "Earthquake appeal" in analyst.get("/admin/insights/when/").content.decode()
    assert "Earthquake appeal" in analyst.get("/admin/insights/calendar/").content.decode()


def test_rate_import_rejects_bad_rows_with_their_line_numbers(org, staff_client):
    upload = io.BytesIO(
        b"currency,valid_from,rate\nEUR,2026-01-01,1.08\nXXX,2026-01-01,2\nJOD,31/01/2026,1.41\nGBP,2026-01-01,-1\n"
    )
    upload.name = "rates.csv"
    response = staff_client.post("/admin/insights/rates/import/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Line 3:" in html and "Line 4:" in html and "Line 5:" in html and "Nothing was imported" in html
    assert not ExchangeRate.objects.exists()
    upload = io.BytesIO(b"currency,valid_from,rate\nEUR,2026-01-01,1.08\nJOD,2026-01-01,1.41\n")
    upload.name = "rates.csv"
    response = staff_client.post("/admin/insights/rates/import/", {"file": upload})
    assert response.status_code == 302
    assert ExchangeRate.objects.count() == 2


def test_a_cached_page_shows_new_gifts_after_the_next_fold(analyst, gifts):
    def tuesday_one_pm() -> str:
        rows = list(
            csv.reader(
                io.StringIO(analyst.get("/admin/insights/when/?export=csv&panel=heatmap").content.decode("utf-8-sig"))
            )
        )
        return {(r[0], r[1]): r[2] for r in rows[1:] if len(r) == 4}[("Tuesday", "13:00")]

    assert tuesday_one_pm() == "2"
    gift(supporter("new@example.org"), datetime(2026, 3, 17, 10, 0, tzinfo=UTC), 1000)
    insights_fold()
    assert tuesday_one_pm() == "3"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_table_rows_are_rendered_as_the_template_would_render_them(settings, language):
    from django.template import Context, Template
    from django.utils import translation
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    from donations.insights.admin import table_body

    rows = [
        ["Tuesday <b>", 12, 3.25, "", "a & b", mark_safe("<em>safe</em>"), gettext_lazy("Gifts")],
        [date(2026, 2, 17), -4, 0.5, "\"quoted\" 'x'", 1234567, None, True],
    ]
    template = Template(
        '{% for row in rows %}<tr>{% for cell in row %}{% if forloop.first %}<th scope="row">{{ cell }}</th>'
        '{% elif forloop.counter0 in numeric %}<td class="num">{{ cell }}</td>{% else %}<td>{{ cell }}</td>'
        "{% endif %}{% endfor %}</tr>{% if not forloop.last %}\n{% endif %}{% endfor %}"
    )
    # Days are ISO dates in the tables, as the month tables show 2026-12 (the one deliberate difference).
    as_shown = [[cell.isoformat() if isinstance(cell, date) else cell for cell in row] for row in rows]
    with translation.override(language):
        expected = template.render(Context({"rows": as_shown, "numeric": {1, 2, 4}}))
        assert str(table_body(rows, {1, 2, 4})) == expected
