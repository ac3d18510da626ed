"""Actions in the room: calls once per target, letters throttled per target and never lost, fallbacks, counters."""
# ruff: noqa: F811 (the march fixtures are imported from test_marches_fixtures and named as arguments)

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from campaigns.marches.models import MarchAction, MarchCounter, MarchLetter, MarchParticipant
from campaigns.marches.selectors import counts_key, march_counts
from campaigns.marches.services import call_report, counters_fold, letters_send_due, participant_register
from campaigns.marches.tasks import march_counters_fold, march_letters_send_all
from campaigns.models import CampaignPage, Target
from tests.campaigns.test_marches_fixtures import live_march, on_commit, second_target  # noqa: F401


def join(march, n: int, region: str = "Amman") -> MarchParticipant:
    return participant_register(
        march=march, name=f"Person {n}", email=f"p{n}@example.org", region=region, language="en", slot="letter"
    ).participant


def room(participant) -> str:
    return f"/act/marches/you/{participant.token}/"


def test_a_call_counts_once_per_participant_and_target(client, live_march, target):
    participant = join(live_march, 1)
    data = {"action": "call", "target": str(target.pk), "outcome": "voicemail"}
    response = client.post(room(participant) + "act/", data, follow=True)
    assert "Thank you: your call is counted." in response.content.decode()
    response = client.post(room(participant) + "act/", {**data, "outcome": "reached"}, follow=True)
    assert "You already reported this call." in response.content.decode()
    [action] = MarchAction.objects.all()
    assert (action.kind, action.outcome, action.region) == ("call", "voicemail", "Amman")
    assert "Reported: I left a voicemail." in client.get(room(participant)).content.decode()


def test_letters_are_throttled_per_target_and_none_is_lost(client, live_march, target, on_commit):
    people = [join(live_march, n) for n in range(5)]
    mail.outbox.clear()
    for person in people:
        with on_commit(execute=True):
            response = client.post(room(person) + "act/", {"action": "letter", "target": str(target.pk)}, follow=True)
        assert "Thank you: your letter is on its way." in response.content.decode()
    # At most two a minute to this office: two went at once, three wait in the queue.
    assert [m.to for m in mail.outbox] == [["minister.private@example.gov"]] * 2
    assert MarchLetter.objects.filter(status="queued").count() == 3
    first = mail.outbox[0]
    assert first.subject == "Clean water for Amman"
    assert "Dear Rana Khalil," in first.body and "as Minister of Water" in first.body and "Person 0" in first.body
    # The periodic task within the same minute sends nothing more.
    march_letters_send_all.delay()
    assert len(mail.outbox) == 2
    later = timezone.now() + timedelta(seconds=61)
    assert letters_send_due(march_id=live_march.pk, now=later) == 2
    assert letters_send_due(march_id=live_march.pk, now=later + timedelta(seconds=61)) == 1
    assert len(mail.outbox) == 5 and MarchLetter.objects.filter(status="sent").count() == 5
    assert sorted(m.body.rsplit("\n", 1)[-1] for m in mail.outbox) == [f"Person {n}" for n in range(5)]
    # A double submit changes nothing.
    client.post(room(people[0]) + "act/", {"action": "letter", "target": str(target.pk)})
    assert MarchLetter.objects.count() == 5 and MarchAction.objects.filter(kind="letter").count() == 5
    page = client.get(room(people[0])).content.decode()
    assert "Your letter is sent." in page and "minister.private@example.gov" not in page


def test_without_an_email_address_the_room_offers_the_web_form_or_a_mailto(client, live_march, target):
    lina = Target.objects.create(name="Lina Haddad", role="MP", region="Mafraq",
                                 web_form_url="https://parliament.example.gov/haddad")  # fmt: skip
    public = Target.objects.create(name="Omar Saleh", role="Mayor", region="Zarqa", email="mayor@zarqa.example",
                                   email_is_public=True)  # fmt: skip
    hidden = Target.objects.create(name="Sami Nour", role="Governor", region="Karak")
    live_march.targets.add(lina, public, hidden)
    live_march.letters_by_our_mail = False
    live_march.save()
    participant = join(live_march, 1)
    page = client.get(room(participant)).content.decode()
    assert 'href="https://parliament.example.gov/haddad"' in page  # the web form
    assert 'href="mailto:mayor@zarqa.example?subject=Clean%20water%20for%20Amman&amp;body=Dear%20Omar%20Saleh' in page
    assert "We have no way to send this official a letter" in page  # Sami Nour: no address at all
    assert "minister.private@example.gov" not in page  # a private address never shows, even unsent
    response = client.post(room(participant) + "act/", {"action": "letter", "target": str(lina.pk)}, follow=True)
    assert "please use the link shown instead" in response.content.decode()
    response = client.post(room(participant) + "act/", {"action": "letter_self", "target": str(lina.pk)}, follow=True)
    assert "Thank you: your letter is counted." in response.content.decode()
    response = client.post(room(participant) + "act/", {"action": "letter_self", "target": str(hidden.pk)}, follow=True)
    assert "There is no way to write to this official yourself" in response.content.decode()
    assert list(MarchLetter.objects.values_list("target__name", "status")) == [("Lina Haddad", "self_sent")]
    assert mail.outbox == [] or all(m.to != ["mayor@zarqa.example"] for m in mail.outbox)


def test_after_the_drain_the_counts_equal_the_rows(client, live_march, target, second_target, settings):
    settings.MARCH_FOLD_ON_WRITE = False  # as in production: only the periodic task folds
    people = [join(live_march, n, region="Amman" if n % 2 else "Irbid") for n in range(6)]
    for n, person in enumerate(people):
        client.post(room(person) + "act/", {"action": "call", "target": str(target.pk), "outcome": "reached"})
        if n < 4:
            client.post(room(person) + "act/", {"action": "call", "target": str(second_target.pk), "outcome": "busy"})
        if n < 3:
            client.post(room(person) + "act/", {"action": "letter", "target": str(second_target.pk)})
    # Before the fold, the public numbers have not moved: no per-request COUNT(*).
    assert march_counts(march_id=live_march.pk)["totals"] == {"registered": 0, "calls": 0, "letters": 0}
    assert march_counters_fold.delay().get() == 6 + 10 + 3
    assert march_counters_fold.delay().get() == 0  # nothing is counted twice
    counts = cache.get(counts_key(live_march.pk))
    assert (
        counts["totals"]
        == {
            "registered": MarchParticipant.objects.count(),
            "calls": MarchAction.objects.filter(kind="call").count(),
            "letters": MarchAction.objects.filter(kind="letter").count(),
        }
        == {"registered": 6, "calls": 10, "letters": 3}
    )
    by_region = {row["region"]: (row["registered"], row["calls"], row["letters"]) for row in counts["by_region"]}
    assert by_region == {"Amman": (3, 5, 1), "Irbid": (3, 5, 2)}
    by_target = {row["target"]: (row["calls"], row["letters"]) for row in counts["by_target"]}
    assert by_target == {target.pk: (6, 0), second_target.pk: (4, 3)}
    # A cleared cache is refilled from the counter rows, not from the actions.
    cache.clear()
    assert march_counts(march_id=live_march.pk)["totals"]["calls"] == 10
    assert MarchCounter.objects.filter(march=live_march).count() == 1 + 2 + 2
    # The room shows the folded numbers on load; the campaign's goal counts calls and letters.
    page = client.get(room(people[0])).content.decode()
    assert 'data-scope="totals" data-count="calls">10<' in page
    campaign = live_march.get_parent().specific
    campaign.goal_kind, campaign.goal_number = CampaignPage.GoalKind.ACTIONS, 100
    campaign.save()
    assert campaign.progress().current == 13
    assert live_march.campaign_goal_contribution("signatures") == 0


def test_folding_in_small_batches_counts_each_row_once(live_march):
    join(live_march, 1)
    assert counters_fold(march_id=live_march.pk, batch=1) == 1
    assert counters_fold(march_id=live_march.pk) == 0
    assert MarchCounter.objects.get(march=live_march, scope="all").registered == 1


def test_without_a_scheduler_each_write_folds_the_counters(live_march, target, settings, on_commit):
    settings.MARCH_FOLD_ON_WRITE = True  # the embedded default
    with on_commit(execute=True):
        person = join(live_march, 1)
    with on_commit(execute=True):
        call_report(participant=person, target_id=target.pk, outcome="busy")
    assert march_counts(march_id=live_march.pk)["totals"] == {"registered": 1, "calls": 1, "letters": 0}
