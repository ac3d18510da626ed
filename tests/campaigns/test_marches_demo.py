"""The demo march: English and Arabic below the demo campaign, upcoming, with people booked and counters folded."""

from __future__ import annotations

from django.core.management import call_command

from campaigns.marches.models import MarchAction, MarchParticipant, VirtualMarchPage
from campaigns.marches.selectors import march_counts

GIFTS = "donations.demo.load_demo_gifts"
INSIGHTS = "donations.demo.load_demo_insights"  # a year of analytics gifts: not what these tests look at


def test_the_demo_march(db, client):
    call_command("load_demo", verbosity=0, skip=[GIFTS, INSIGHTS])
    english = VirtualMarchPage.objects.get(slug="call-for-water", locale__language_code="en")
    arabic = VirtualMarchPage.objects.get(translation_key=english.translation_key, locale__language_code="ar")
    assert english.state() == "upcoming" and english.targets.count() == 3
    assert MarchParticipant.objects.filter(march=english).count() == 12
    assert MarchAction.objects.filter(march=english, kind="letter").count() == 4
    counts = march_counts(march_id=english.pk)
    assert counts["totals"] == {"registered": 12, "calls": 0, "letters": 4}
    assert "Book my call" in client.get(english.url).content.decode()
    assert "اتصل من أجل المياه النظيفة" in client.get(arabic.url).content.decode()
    call_command("load_demo", verbosity=0, skip=[GIFTS, INSIGHTS])  # again: nothing more
    assert MarchParticipant.objects.count() == 12 and VirtualMarchPage.objects.count() == 2
