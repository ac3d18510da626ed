"""Petitions for staff: the dashboard, regions, exports, the delivery report and bulk invalidation, by permission."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import PageLogEntry

from campaigns.petitions.models import PetitionPage, Signature
from campaigns.petitions.selectors import petition_count
from campaigns.petitions.services import signature_confirm, signature_sign, signature_token, signatures_fold
from tests.conftest import publish

pytestmark = pytest.mark.django_db
BASE = "/admin/petitions/"
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed")
FORMULA_NAME = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(autouse=True)
def _no_signing_limits(settings):
    # Many signatures from a few addresses in a second: not what the abuse limits are tested on here.
    settings.PETITION_RATE_IP_BURST = "0/60"
    settings.PETITION_RATE_IP_SUSTAINED = "0/3600"
    settings.PETITION_RATE_DOMAIN_BURST = "0/60"
    settings.PETITION_RATE_DOMAIN_SUSTAINED = "0/3600"
    settings.PETITION_MAIL_BATCHED = True


@pytest.fixture
def petition(campaign, target) -> PetitionPage:
    page = PetitionPage(
        title="Wells for Mafraq",
        slug="wells-for-mafraq",
        ask="<p>Fund ten new wells in Mafraq this year.</p>",
        state=PetitionPage.State.OPEN,
        goal=100,
    )
    campaign.add_child(instance=page)
    page.targets.add(target)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def petition_ar(petition, site_tree) -> PetitionPage:
    translated = petition.copy_for_translation(site_tree.arabic, copy_parents=True).specific
    translated.title = "آبار للمفرق"
    translated.ask = "<p>موّلوا عشر آبار جديدة في المفرق هذا العام.</p>"
    translated.save()
    return publish(translated)


def sign(petition, email, *, name="Huda Haddad", country="JO", city="Amman", postcode="", comment="", ip="10.0.0.1",
         confirm=True, when=None):  # fmt: skip
    outcome = signature_sign(
        petition_id=petition.pk,
        name=name,
        email=email,
        country=country,
        city=city,
        postcode=postcode,
        comment=comment,
        ip=ip,
        now=when,
    )
    signature = Signature.objects.get(pk=outcome.signature_id)
    if confirm:
        token = signature_token(
            signature_id=signature.pk, email_canonical=signature.email_canonical, created_at=signature.created_at
        )
        signature = signature_confirm(signature_id=signature.pk, token=token)
    return signature


@pytest.fixture
def signed(petition, django_capture_on_commit_callbacks):
    """Five confirmed signatures (one named like a formula), one pending, all folded into the counters."""
    early = timezone.now() - timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        rows = {
            "huda": sign(petition, "huda@example.org", comment="Water is a right.", when=early),
            "omar": sign(
                petition, "omar@spam.example", name="Omar Saleh", city="Irbid", ip="10.0.0.9", comment="+1 from Irbid"
            ),
            "lina": sign(petition, "lina@mail.spam.example", name="Lina Haddad", city="Irbid", ip="10.0.0.9"),
            "evil": sign(
                petition,
                "evil@example.net",
                name=FORMULA_NAME,
                country="GB",
                postcode="SW1A 1AA",
                city="London",
                comment="@SUM(A1:A9)",
            ),
            "fatima": sign(petition, "fatima@example.com", name="فاطمة الزهراء", city="Amman", ip="10.0.0.2"),
            "pending": sign(petition, "sami@example.org", name="Sami Pending", confirm=False),
        }
        signatures_fold()
    return rows


def staff_with(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(username, f"{username}@example.org", "x" * 20, is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(content_type__app_label="campaigns", codename__in=codenames),
    )
    return django_user_model.objects.get(pk=user.pk)


def screens(petition):
    return [
        BASE,
        f"{BASE}{petition.pk}/",
        f"{BASE}{petition.pk}/regions/",
        f"{BASE}{petition.pk}/export/csv/",
        f"{BASE}{petition.pk}/export/xlsx/",
        f"{BASE}{petition.pk}/report/en/",
        f"{BASE}{petition.pk}/report/ar/",
        f"{BASE}{petition.pk}/invalidate/",
    ]


def refused(response) -> bool:
    """Wagtail's admin answers a refusal with a redirect to the dashboard (and a message), or a bare 403."""
    return response.status_code == 403 or (response.status_code == 302 and response["Location"] == "/admin/")


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# -- who may see what ---------------------------------------------------------------------------------


def test_every_screen_renders_for_staff_allowed_to_see_signers(client, django_user_model, staff_user, petition, signed):
    manager = staff_with(django_user_model, "manager", "view_signature", "change_signature", "delete_signature")
    client.force_login(manager)
    for url in screens(petition):
        response = client.get(url)
        assert response.status_code == 200, url
    index = client.get(BASE).content.decode()
    assert "Wells for Mafraq" in index and f"{BASE}{petition.pk}/" in index
    # The menu offers the petitions to them.
    assert BASE in client.get("/admin/").content.decode()
    # The petition's page in the admin (editing it, and in the explorer) links to its signatures.
    client.force_login(staff_user)
    edit = client.get(f"/admin/pages/{petition.pk}/edit/")
    assert edit.status_code == 200 and f'href="{BASE}{petition.pk}/"' in edit.content.decode()
    explorer = client.get(f"/admin/pages/{petition.get_parent().pk}/")
    assert f'href="{BASE}{petition.pk}/"' in explorer.content.decode()
    # The three permissions can be granted to a group in Settings → Groups.
    group_form = client.get("/admin/groups/new/").content.decode()
    for codename in ("view_signature", "change_signature", "delete_signature"):
        permission = Permission.objects.get(content_type__app_label="campaigns", codename=codename)
        assert f'value="{permission.pk}"' in group_form, codename


def test_staff_without_the_permission_see_no_signer(client, django_user_model, petition, signed):
    editor = staff_with(django_user_model, "editor-only")
    client.force_login(editor)
    for url in screens(petition):
        response = client.get(url)
        assert refused(response), url
        assert b"Omar Saleh" not in response.content
    assert refused(client.post(f"{BASE}{petition.pk}/invalidate/", {"ip": "10.0.0.9", "reason": "x", "expected": "2",
                                                                   "confirm": "1"}))  # fmt: skip
    home = client.get("/admin/").content.decode()
    assert BASE not in home
    assert "Omar Saleh" not in home
    assert Signature.objects.filter(status=Signature.Status.INVALIDATED).count() == 0


def test_anonymous_visitors_are_sent_to_the_login_page(client, petition):
    response = client.get(f"{BASE}{petition.pk}/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get(f"{BASE}{petition.pk}/export/csv/").status_code == 302


def test_only_staff_allowed_to_invalidate_get_the_invalidation_screen(client, django_user_model, petition, signed):
    viewer = staff_with(django_user_model, "viewer", "view_signature")
    client.force_login(viewer)
    assert client.get(f"{BASE}{petition.pk}/").status_code == 200
    assert refused(client.get(f"{BASE}{petition.pk}/invalidate/"))
    assert f"{BASE}{petition.pk}/invalidate/" not in client.get(f"{BASE}{petition.pk}/").content.decode()


def test_emails_show_only_to_staff_allowed_to_see_them(client, django_user_model, petition, signed):
    viewer = staff_with(django_user_model, "viewer", "view_signature")
    client.force_login(viewer)
    dashboard = client.get(f"{BASE}{petition.pk}/").content.decode()
    assert "Omar Saleh" in dashboard and "omar@spam.example" not in dashboard
    rows = csv_rows(client.get(f"{BASE}{petition.pk}/export/csv/"))
    assert "Email" not in rows[0]
    assert not any("@spam.example" in cell for row in rows for cell in row)

    client.force_login(staff_with(django_user_model, "data-officer", "view_signature", "change_signature"))
    dashboard = client.get(f"{BASE}{petition.pk}/").content.decode()
    assert "omar@spam.example" in dashboard
    rows = csv_rows(client.get(f"{BASE}{petition.pk}/export/csv/"))
    assert rows[0][-1] == "Email"
    assert {row[-1] for row in rows[1:]} == {
        "huda@example.org", "omar@spam.example", "lina@mail.spam.example", "evil@example.net", "fatima@example.com"
    }  # fmt: skip


# -- the dashboard and the regions --------------------------------------------------------------------


def test_the_dashboard_shows_the_counts_and_the_newest_signers(staff_client, petition, signed):
    response = staff_client.get(f"{BASE}{petition.pk}/")
    page = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert 'data-count="confirmed">5<' in page
    assert 'data-count="pending">1<' in page
    assert 'data-count="invalidated">0<' in page
    assert "Sami Pending" in page and "فاطمة الزهراء" in page
    # A plain link reloads it; the opt-in refresh is a meta refresh, no script.
    assert f'href="{BASE}{petition.pk}/"' in page and "?auto=1" in page
    assert 'http-equiv="refresh"' not in page
    assert 'http-equiv="refresh" content="30"' in staff_client.get(f"{BASE}{petition.pk}/?auto=1").content.decode()


def test_the_dashboard_of_a_translation_shows_the_one_petition(staff_client, petition, petition_ar, signed):
    page = staff_client.get(f"{BASE}{petition_ar.pk}/").content.decode()
    assert 'data-count="confirmed">5<' in page
    index = staff_client.get(BASE).content.decode()
    assert index.count(f'href="{BASE}{petition.pk}/"') == 1 and f'href="{BASE}{petition_ar.pk}/"' not in index


def test_the_regions_page_counts_confirmed_signatures_by_country_and_region(staff_client, petition, signed):
    page = staff_client.get(f"{BASE}{petition.pk}/regions/").content.decode()
    assert "Jordan" in page and "United Kingdom" in page
    # Jordan: Irbid 2, Amman 2 (Huda and Fatima); the pending signer is not counted.
    jordan = page.index("Jordan")
    assert page.index("Irbid") > jordan and page.index("Amman") > jordan
    assert ">4<" in page and "SW1A" in page and ">5<" in page


# -- exports ------------------------------------------------------------------------------------------


def test_the_csv_holds_exactly_the_confirmed_signatures_and_is_formula_safe(staff_client, petition, signed):
    response = staff_client.get(f"{BASE}{petition.pk}/export/csv/")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.streaming
    rows = csv_rows(response)
    header, body = rows[0], rows[1:]
    assert header[:8] == ["Name", "Country", "Region", "Postcode", "City", "Signed on", "Confirmed on", "Comment"]
    names = sorted(row[0] for row in body)
    assert names == sorted(["Huda Haddad", "Omar Saleh", "Lina Haddad", "'" + FORMULA_NAME, "فاطمة الزهراء"])
    assert "Sami Pending" not in names
    evil = next(row for row in body if row[0].startswith("'="))
    assert evil[1] == "United Kingdom" and evil[2] == "SW1A" and evil[3] == "SW1A 1AA"
    assert evil[7] == "'@SUM(A1:A9)"
    omar = next(row for row in body if row[0] == "Omar Saleh")
    assert omar[7] == "'+1 from Irbid"
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_the_xlsx_opens_and_holds_the_same_signatures_as_text(staff_client, petition, signed, tmp_path):
    signed["omar"].refresh_from_db()
    response = staff_client.get(f"{BASE}{petition.pk}/export/xlsx/")
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    path: Path = tmp_path / "signatures.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Name"
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted(["Huda Haddad", "Omar Saleh", "Lina Haddad", "'" + FORMULA_NAME, "فاطمة الزهراء"])
    formula_row = next(row for row in sheet.iter_rows(min_row=2) if str(row[0].value).startswith("'="))
    assert formula_row[0].data_type == "s"


def test_an_invalidated_signature_leaves_the_exports(
    staff_client, petition, signed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"{BASE}{petition.pk}/invalidate/", {"ip": "10.0.0.2", "reason": "Test", "expected": "1",
                                                              "confirm": "1"})  # fmt: skip
    names = [row[0] for row in csv_rows(staff_client.get(f"{BASE}{petition.pk}/export/csv/"))[1:]]
    assert len(names) == 4 and "فاطمة الزهراء" not in names


# -- the delivery report ----------------------------------------------------------------------------


def pdf_text(content: bytes, tmp_path: Path) -> str:
    source = tmp_path / "report.pdf"
    source.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, text=True).stdout


@needs_poppler
def test_the_delivery_report_is_a_pdf_with_the_petition_and_its_regions(staff_client, petition, signed, tmp_path):
    response = staff_client.get(f"{BASE}{petition.pk}/report/en/")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    for expected in ("Wells for Mafraq", "Fund ten new wells in Mafraq", "Rana Khalil", "Minister of Water",
                     "Confirmed signatures by country and region", "Jordan", "Irbid", "United Kingdom", "SW1A",
                     "Water is a right."):  # fmt: skip
        assert expected in text, expected
    lines = text.splitlines()
    assert any("Jordan" in line and "4" in line for line in lines)
    assert any("Irbid" in line and "2" in line for line in lines)
    assert any("5" in line and "confirmed signatures" in line for line in lines) or "5" in text
    # Nobody's email address goes to the targets.
    assert "@example" not in text


@needs_poppler
def test_the_delivery_report_in_arabic(staff_client, petition, petition_ar, signed, tmp_path):
    response = staff_client.get(f"{BASE}{petition.pk}/report/ar/")
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    assert "آبار للمفرق" in text
    assert "تقرير تسليم العريضة" in text
    # (pdftotext swaps the two letters of the lam-alef ligature, as in الأردن, so another country is checked.)
    assert "المملكة المتحدة" in text and "Irbid" in text and "ما قاله الموقعون" in text
    lines = text.splitlines()
    assert any("Irbid" in line and "2" in line for line in lines)
    assert "رنا خليل" in text


def test_an_unknown_report_language_or_export_format_is_not_found(staff_client, petition):
    assert staff_client.get(f"{BASE}{petition.pk}/report/fr/").status_code == 404
    assert staff_client.get(f"{BASE}{petition.pk}/export/pdf/").status_code == 404
    assert staff_client.get(f"{BASE}999999/").status_code == 404


# -- bulk invalidation ----------------------------------------------------------------------------


def invalidate(client, petition, data, *, callbacks):
    """Preview, then confirm with the count the preview showed; returns (preview page, count shown)."""
    preview = client.post(f"{BASE}{petition.pk}/invalidate/", data)
    assert preview.status_code == 200
    expected = preview.context["total"]
    with callbacks(execute=True):
        done = client.post(f"{BASE}{petition.pk}/invalidate/", {**data, "expected": str(expected), "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == f"{BASE}{petition.pk}/"
    return preview, expected


def statuses(signed) -> dict[str, str]:
    return {key: Signature.objects.get(pk=row.pk).status for key, row in signed.items()}


def test_bulk_invalidation_by_ip_after_a_preview(staff_client, staff_user, petition, signed,
                                                 django_capture_on_commit_callbacks):  # fmt: skip
    assert petition_count(petition_id=petition.pk) == 5
    data = {"ip": "10.0.0.9", "reason": "One address signing for many"}
    preview = staff_client.post(f"{BASE}{petition.pk}/invalidate/", data)
    # The preview changes nothing and says what would change.
    assert preview.context["total"] == 2
    assert "Omar Saleh" in preview.content.decode() and "Lina Haddad" in preview.content.decode()
    assert Signature.objects.filter(status=Signature.Status.INVALIDATED).count() == 0
    invalidate(staff_client, petition, data, callbacks=django_capture_on_commit_callbacks)
    after = statuses(signed)
    assert after["omar"] == after["lina"] == "invalidated"
    assert [key for key, status in after.items() if status == "invalidated"] == ["omar", "lina"]
    omar = Signature.objects.get(pk=signed["omar"].pk)
    assert omar.invalidated_reason == "One address signing for many" and omar.invalidated_by == staff_user
    # The public count drops after the recount.
    assert petition_count(petition_id=petition.pk) == 3
    # An audit record in the petition's history.
    entry = PageLogEntry.objects.get(page=petition, action="petitions.signatures_invalidated")
    assert entry.user == staff_user
    assert entry.data["reason"] == "One address signing for many"
    assert entry.data["invalidated"] == 2 and entry.data["criteria"]["ip"] == "10.0.0.9"
    history = staff_client.get(f"/admin/pages/{petition.pk}/history/").content.decode()
    assert "Signatures invalidated in bulk" in history


def test_bulk_invalidation_by_email_domain_takes_its_subdomains(staff_client, petition, signed,
                                                                 django_capture_on_commit_callbacks):  # fmt: skip
    _preview, shown = invalidate(
        staff_client, petition, {"email_domain": "@Spam.Example", "reason": "Throwaway domain"},
        callbacks=django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert shown == 2
    after = statuses(signed)
    assert {key for key, status in after.items() if status == "invalidated"} == {"omar", "lina"}
    assert petition_count(petition_id=petition.pk) == 3


def test_bulk_invalidation_by_time_window(staff_client, petition, signed, django_capture_on_commit_callbacks):
    now = timezone.localtime()
    data = {
        "since": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "until": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "reason": "A bot ran for an hour",
    }
    _preview, shown = invalidate(staff_client, petition, data, callbacks=django_capture_on_commit_callbacks)
    # Everyone but Huda (who signed two days ago), the pending signer included.
    assert shown == 5
    after = statuses(signed)
    assert after["huda"] == "confirmed"
    assert all(status == "invalidated" for key, status in after.items() if key != "huda")
    assert petition_count(petition_id=petition.pk) == 1
    page = staff_client.get(f"{BASE}{petition.pk}/").content.decode()
    assert 'data-count="confirmed">1<' in page and 'data-count="invalidated">5<' in page


def test_confirming_a_stale_preview_or_twice_changes_nothing(staff_client, petition, signed,
                                                             django_capture_on_commit_callbacks):  # fmt: skip
    data = {"ip": "10.0.0.9", "reason": "Abuse"}
    # The count shown no longer matches: show the preview again, invalidate nothing.
    response = staff_client.post(f"{BASE}{petition.pk}/invalidate/", {**data, "expected": "7", "confirm": "1"})
    assert response.status_code == 200 and response.context["total"] == 2
    assert Signature.objects.filter(status=Signature.Status.INVALIDATED).count() == 0
    invalidate(staff_client, petition, data, callbacks=django_capture_on_commit_callbacks)
    # The same confirmation again (a double click): nothing matches any more, nothing changes.
    again = staff_client.post(f"{BASE}{petition.pk}/invalidate/", {**data, "expected": "2", "confirm": "1"})
    assert again.status_code == 302
    assert Signature.objects.filter(status=Signature.Status.INVALIDATED).count() == 2
    assert PageLogEntry.objects.filter(action="petitions.signatures_invalidated").count() == 1
    assert petition_count(petition_id=petition.pk) == 3


def test_invalidation_needs_a_criterion_and_a_reason(staff_client, petition, signed):
    url = f"{BASE}{petition.pk}/invalidate/"
    response = staff_client.post(url, {"reason": "Nothing given", "confirm": "1", "expected": "6"})
    assert response.status_code == 400
    assert "Give an IP address, an email domain or a time window" in response.content.decode()
    response = staff_client.post(url, {"ip": "10.0.0.9", "reason": "", "confirm": "1", "expected": "2"})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = staff_client.post(url, {"email_domain": "not a domain", "reason": "x"})
    assert response.status_code == 400 and "Enter a domain such as example.com." in response.content.decode()
    now = timezone.localtime()
    response = staff_client.post(url, {"since": now.strftime("%Y-%m-%dT%H:%M"),
                                       "until": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), "reason": "x"})  # fmt: skip
    assert response.status_code == 400 and "The end of the window comes after its start." in response.content.decode()
    assert Signature.objects.filter(status=Signature.Status.INVALIDATED).count() == 0
    assert petition_count(petition_id=petition.pk) == 5


def test_a_large_export_is_streamed_in_chunks(staff_client, petition):
    now = timezone.now()
    Signature.objects.bulk_create(
        Signature(
            petition=petition,
            status=Signature.Status.CONFIRMED,
            name=f"Signer {number}",
            email=f"signer{number}@example.org",
            email_canonical=f"signer{number}@example.org",
            email_domain="example.org",
            country="JO",
            region="Amman",
            consent_version="test",
            created_at=now,
            confirmed_at=now,
        )
        for number in range(1_250)
    )
    response = staff_client.get(f"{BASE}{petition.pk}/export/csv/")
    chunks = list(response.streaming_content)
    # A few hundred rows per chunk, not the whole file at once.
    assert len(chunks) >= 3
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8")[1:])))
    assert len(rows) == 1 + 1_250
    assert {row[0] for row in rows[1:]} == {f"Signer {number}" for number in range(1_250)}
