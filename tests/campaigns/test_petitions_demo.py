"""The demo petition: in both languages, alive with folded signatures, made once."""

from __future__ import annotations

from io import StringIO

from django.core import mail
from django.core.management import call_command

from campaigns.petitions.models import PetitionPage, Signature
from campaigns.petitions.selectors import petition_count, petition_regions


def test_the_demo_petition_has_thousands_of_folded_signatures(db, client):
    call_command("load_demo", stdout=StringIO())
    page = PetitionPage.objects.get(slug="fix-the-wells-of-mafraq", locale__language_code="en")
    arabic = page.get_translation(page.locale.__class__.objects.get(language_code="ar"))
    confirmed = Signature.objects.filter(petition=page, status=Signature.Status.CONFIRMED).count()
    assert confirmed >= 3000
    assert petition_count(petition_id=page.pk) == confirmed
    assert sum(c["total"] for c in petition_regions(petition_id=page.pk)["countries"]) == confirmed
    assert mail.outbox == []  # no milestone emails to demo signers
    english_page = client.get(page.url).content.decode()
    assert f"{confirmed:,}" in english_page
    assert "أصلحوا آبار المفرق" in client.get(arabic.url).content.decode()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert Signature.objects.filter(petition=page).count() == confirmed
