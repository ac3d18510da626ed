"""After the window: the public summary page, the PDF for the targets (English and Arabic), and the staff views."""
# ruff: noqa: F811 (the march fixtures are imported from test_marches_fixtures and named as arguments)

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.marches.models import MarchParticipant
from campaigns.marches.services import call_report, counters_fold, letter_submit, participant_register
from tests.campaigns.test_marches_fixtures import arabic_march, live_march, on_commit, second_target  # noqa: F401

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) is not installed")


def pdf_text(content: bytes, tmp_path: Path) -> str:
    source = tmp_path / "summary.pdf"
    source.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True, text=True).stdout


@pytest.fixture
def ended_march(live_march, target, second_target, on_commit):
    """The live march with a few participants and actions, then moved into the past and folded."""
    people = []
    for n, (name, region) in enumerate([("Huda", "Amman"), ("Omar", "Irbid"), ("Sara", "Amman"), ("=cmd()", "Irbid")]):
        people.append(participant_register(march=live_march, name=name, email=f"p{n}@example.org", region=region,
                                           language="en", slot="letter").participant)  # fmt: skip
    call_report(participant=people[0], target_id=target.pk, outcome="reached")
    call_report(participant=people[1], target_id=target.pk, outcome="voicemail")
    call_report(participant=people[2], target_id=second_target.pk, outcome="voicemail")
    with on_commit(execute=True):
        letter_submit(participant=people[0], target_id=target.pk)
    live_march.window_date = (timezone.now() - timedelta(days=1)).date()
    live_march.save_revision().publish()
    counters_fold(march_id=live_march.pk)
    return live_march


def test_the_summary_waits_for_the_end_of_the_march(client, live_march):
    response = client.get(live_march.url + "summary/")
    assert "The summary is published when the march ends." in response.content.decode()


def test_the_summary_page_shows_participation_and_outcomes(client, ended_march):
    text = client.get(ended_march.url + "summary/").content.decode()
    assert "4 people took part: 3 calls and 1 letters." in text
    assert 'I left a voicemail</th><td class="num text-end">2<' in text
    assert "p0@example.org" not in text and "minister.private@example.gov" not in text
    page = client.get(ended_march.url).content.decode()
    assert "This march has ended" in page and 'name="email"' not in page


@needs_poppler
def test_the_summary_pdf_in_english_and_arabic(staff_client, ended_march, arabic_march, tmp_path):
    response = staff_client.get(f"/admin/marches/{ended_march.pk}/summary-en.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "Virtual march: Call for clean water" in text
    assert "4 people took part: 3 calls and 1 letters." in text
    assert "Amman" in text and "Irbid" in text
    assert "I left a voicemail" in text
    assert "Dear Rana Khalil," in text  # a sample letter
    assert "p0@example.org" not in text and "minister.private@example.gov" not in text

    response = staff_client.get(f"/admin/marches/{ended_march.pk}/summary-ar.pdf")
    text = pdf_text(response.content, tmp_path)
    assert "اتصل من أجل المياه النظيفة" in text  # the Arabic title
    assert "رنا خليل" in text
    assert "Virtual march:" not in text and "مسيرة افتراضية" in text  # the labels are Arabic too
    assert "تركت رسالة صوتية" in text  # the outcomes too
    assert "as Minister of Water, to fund clean wells" in text  # letters are shown as they were sent


def test_staff_see_the_dashboard_and_export_participants(staff_client, ended_march):
    client = Client()  # not signed in
    assert client.get(f"/admin/marches/{ended_march.pk}/").status_code == 302  # to the login
    assert client.get(f"/admin/marches/{ended_march.pk}/participants.csv").status_code == 302
    index = staff_client.get("/admin/marches/").content.decode()
    assert "Call for clean water" in index
    page = staff_client.get(f"/admin/marches/{ended_march.pk}/").content.decode()
    assert "p0@example.org" in page and "Huda" in page
    page = staff_client.get(f"/admin/marches/{ended_march.pk}/?q=omar").content.decode()
    assert "Omar" in page and "Huda" not in page
    response = staff_client.get(f"/admin/marches/{ended_march.pk}/participants.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["ID", "Name", "Email", "Region"]
    assert len(rows) == 1 + MarchParticipant.objects.count()
    assert rows[4][1:4] == ["'=cmd()", "p3@example.org", "Irbid"]  # formula-safe
    huda = next(row for row in rows if row[1] == "Huda")
    assert huda[-2:] == ["1", "1"]  # one call, one letter
    response = staff_client.post(f"/admin/marches/{ended_march.pk}/fold/", follow=True)
    assert response.status_code == 200
