"""Staff make and edit marches in the Wagtail page editor; a letter with an unknown merge field is refused on save."""

# ruff: noqa: F811 (the march fixtures are imported from test_marches_fixtures and named as arguments)
from __future__ import annotations

import json

from campaigns.marches.models import MarchSlot, VirtualMarchPage
from tests.campaigns.test_marches_fixtures import LETTER, second_target  # noqa: F401


def editor_data(target_ids, **overrides) -> dict:
    data = {
        "title": "Call day",
        "slug": "call-day",
        "intro": "",
        "window_date": "2030-05-04",
        "start_time": "10:00",
        "end_time": "11:00",
        "time_zone": "Asia/Amman",
        "targets": [str(pk) for pk in target_ids],
        "calls_per_minute": "0.5",
        "slot_minutes": "1",
        "talking_points": json.dumps(
            {
                "blocks": [
                    {
                        "key": "a",
                        "type": "unstyled",
                        "text": "Half the villages.",
                        "depth": 0,
                        "inlineStyleRanges": [],
                        "entityRanges": [],
                    }
                ],
                "entityMap": {},
            }
        ),
        "call_script": "Hello.",
        "letter_subject": "Water",
        "letter_template": LETTER,
        "letters_by_our_mail": "on",
        "letters_per_target": "30",
        "letters_period": "hour",
        "action-publish": "publish",
        "comments-TOTAL_FORMS": "0",
        "comments-INITIAL_FORMS": "0",
        "comments-MIN_NUM_FORMS": "0",
        "comments-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_staff_publish_a_march_and_its_slots_are_made(staff_client, campaign, target, second_target):
    url = f"/admin/pages/add/campaigns/virtualmarchpage/{campaign.pk}/"
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, editor_data([target.pk, second_target.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    march = VirtualMarchPage.objects.get(slug="call-day")
    assert march.live and march.time_zone == "Asia/Amman"
    assert march.window_start.isoformat() == "2030-05-04T10:00:00+03:00"
    # One call every two minutes: two-minute slots of one person, for an hour, for two offices.
    slots = MarchSlot.objects.filter(march=march)
    assert slots.count() == 30 * 2 and set(slots.values_list("capacity", flat=True)) == {1}
    assert staff_client.get(f"/admin/marches/{march.pk}/").status_code == 200


def test_an_unknown_merge_field_is_refused_on_save_with_a_clear_message(staff_client, campaign, target):
    url = f"/admin/pages/add/campaigns/virtualmarchpage/{campaign.pk}/"
    response = staff_client.post(url, editor_data([target.pk], letter_template="Dear {target_name}, {postcode}"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Unknown merge fields: {postcode}." in text
    assert not VirtualMarchPage.objects.exists()
