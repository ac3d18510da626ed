"""Demo data for marches, below the demo campaign (only what is missing).

A virtual march tomorrow morning (Amman time) in English and Arabic, calling
the demo campaign's officials, with people already booked, a few letters
already sent and the counters folded, so the page and the room show numbers.
"""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from campaigns.marches.models import MarchAction, MarchLetter, MarchParticipant, MarchSlot, VirtualMarchPage
from campaigns.marches.services import _book, counters_fold, letter_text, march_slots_ensure
from cms.demo import DemoReport, ensure_translation, publish

SLUG = "call-for-water"
PEOPLE = [
    ("Huda Haddad", "Amman", "en"), ("Omar Nasser", "Irbid", "en"), ("Sara Ali", "Mafraq", "en"),
    ("Yousef Karim", "Amman", "ar"), ("منى سالم", "Irbid", "ar"), ("ليلى حسن", "Amman", "ar"),
    ("Rami Saad", "other", "en"), ("نور الهدى", "Mafraq", "ar"), ("Dina Fares", "Amman", "en"),
    ("خالد يوسف", "Irbid", "ar"), ("Tariq Aziz", "Amman", "en"), ("سلمى عمر", "other", "ar"),
]  # fmt: skip
WRITERS = 4  # the last few write instead of calling


def content(lang: str) -> dict[str, Any]:
    if lang == "ar":
        return {
            "title": "اتصل من أجل المياه النظيفة",
            "intro": "يوم واحد، كل مكتب، مكالمة كل بضع ثوانٍ: نطالب بتمويل آبار نظيفة لكل قرية.",
            "talking_points": "<ul><li>نصف القرى بلا مياه شرب نظيفة.</li><li>بئر واحدة تخدم ألف شخص.</li></ul>",
            "call_script": (
                "مرحبًا، اسمي ... من ... أتصل لأطلب منكم دعم تمويل آبار المياه النظيفة في الموازنة القادمة. شكرًا لكم."
            ),
            "letter_subject": "مياه نظيفة لكل قرية في {supporter_region}",
            "letter_template": (
                "حضرة {target_name}، {target_role}،\n\n"
                "أكتب إليكم بصفتي من سكان {supporter_region} لأطلب دعمكم لتمويل آبار المياه النظيفة "
                "في الموازنة القادمة. لكل قرية الحق في بئر ماء نظيف.\n\nمع الاحترام،\n{supporter_name}"
            ),
        }
    return {
        "title": "Call for clean water",
        "slug": SLUG,
        "intro": "One day, every office, a call every few seconds: we ask for clean wells in every village.",
        "talking_points": "<ul><li>Half the villages have no clean drinking water.</li>"
        "<li>One well serves a thousand people.</li></ul>",
        "call_script": "Hello, my name is ... from ... I am calling to ask you to fund clean wells in the next budget. "
        "Thank you.",
        "letter_subject": "Clean water for every village in {supporter_region}",
        "letter_template": (
            "Dear {target_name},\n\nAs a resident of {supporter_region}, I ask you, as {target_role}, to support "
            "funding for clean wells in the next budget. Every village has a right to a clean well.\n\n"
            "Yours sincerely,\n{supporter_name}"
        ),
    }


def load_demo(context: Any, report: DemoReport) -> None:
    """Called by campaigns.demo.load_demo with the campaign, its translation, the targets and locales."""
    campaign = context.campaign
    march = VirtualMarchPage.objects.child_of(campaign).filter(slug=SLUG).first()
    if march is None:
        tomorrow = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(180)).date() + timedelta(days=1)
        march = VirtualMarchPage(
            locale=context.english,
            window_date=tomorrow,
            start_time=time(10, 0),
            end_time=time(13, 0),
            time_zone="Asia/Amman",
            calls_per_minute=Decimal("2"),
            slot_minutes=5,
            letters_per_target=60,
            letters_period=VirtualMarchPage.LetterPeriod.HOUR,
            **content("en"),
        )
        campaign.add_child(instance=march)
        march.targets.set(context.targets)
        march.save()
        march = publish(march)
        report.add("page: Call for clean water (en)")
    if context.arabic is not None and context.campaign_ar is not None:
        ensure_translation(march, context.arabic, content("ar"), report)
    if not MarchParticipant.objects.filter(march=march).exists():
        _participants(march, report)


def _participants(march: VirtualMarchPage, report: DemoReport) -> None:
    march_slots_ensure(march=march)
    times = list(
        MarchSlot.objects.filter(march=march).values_list("starts_at", flat=True).distinct().order_by("starts_at")
    )
    now = timezone.now()
    for n, (name, region, language) in enumerate(PEOPLE):
        writer = n >= len(PEOPLE) - WRITERS
        with transaction.atomic():
            participant = _book(
                march=march,
                name=name,
                address=f"marcher{n + 1}@example.org",
                region=region,
                language=language,
                moment=None if writer else times[(n * 3) % len(times)],
            )
            participant.confirmation_sent_at = now
            participant.save(update_fields=["confirmation_sent_at"])
            if writer:
                target = march.targets.order_by("pk")[n % march.targets.count()]
                subject, body = letter_text(participant=participant, target=target)
                action = MarchAction.objects.create(
                    march=march, participant=participant, target=target, kind=MarchAction.Kind.LETTER, region=region
                )
                MarchLetter.objects.create(
                    action=action, march=march, target=target, subject=subject, body=body,
                    status=MarchLetter.Status.SENT, sent_at=now,
                )  # fmt: skip
    counters_fold(march_id=march.pk)
    report.add(f"march participants: {len(PEOPLE)} ({WRITERS} letters)")
