"""Demo data for petitions, below the demo campaign (only what is missing).

An open petition in English and Arabic, addressed to the demo targets, with a
few thousand confirmed signatures spread over three weeks (bulk inserted,
then folded into the counters by ``signatures_recount``), so the page, the
wall of signers and the per-region breakdown look alive.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone

from campaigns.petitions.consent import CONSENT_VERSION
from campaigns.petitions.models import MilestoneReached, PetitionMilestone, PetitionPage, Signature
from campaigns.petitions.regions import region_for
from campaigns.petitions.services import signatures_recount
from cms.demo import DemoReport, ensure_translation, publish
from supporters.emails import email_canonical

SIGNATURES = 3_400
SLUG = "fix-the-wells-of-mafraq"

CONTENT_EN = {
    "title": "Fix the wells of Mafraq",
    "slug": SLUG,
    "summary": "Eleven broken wells leave twenty thousand people in Mafraq without safe water.",
    "ask": "<p>We ask the Minister of Water and our representatives to repair every broken public well in "
    "Mafraq governorate within twelve months, and to publish a repair schedule within thirty days.</p>",
    "background": "<h2>Why now</h2><p>Since the summer, families in Mafraq have paid for water from tankers at "
    "five times the piped price. The wells exist; they need pumps, pipes and a budget line.</p>",
}
CONTENT_AR = {
    "title": "أصلحوا آبار المفرق",
    "summary": "إحدى عشرة بئرًا معطلة تترك عشرين ألف شخص في المفرق بلا ماء آمن.",
    "ask": "<p>نطالب وزيرة المياه ونوابنا بإصلاح كل بئر عامة معطلة في محافظة المفرق خلال اثني عشر شهرًا، "
    "ونشر جدول زمني للإصلاح خلال ثلاثين يومًا.</p>",
    "background": "<h2>لماذا الآن</h2><p>منذ الصيف تدفع العائلات في المفرق ثمن مياه الصهاريج بخمسة أضعاف سعر "
    "مياه الشبكة. الآبار موجودة، وتحتاج إلى مضخات وأنابيب وبند في الموازنة.</p>",
}

FIRST_NAMES = ["Maya", "Omar", "Lina", "Yousef", "Sara", "Khaled", "Nour", "Ahmad", "Rania", "Sami", "Hala",
               "Tariq", "Dina", "Faris", "Leila", "Zaid", "Emma", "James", "Amira", "Karim", "Salma"]  # fmt: skip
LAST_NAMES = ["Haddad", "Khalil", "Odeh", "Saleh", "Nasser", "Hamdan", "Qasem", "Smith", "Jaber", "Awad"]
# (country, postcode, city, weight)
PLACES = [
    ("JO", "", "Amman", 30), ("JO", "", "Mafraq", 22), ("JO", "", "Irbid", 14), ("JO", "", "Zarqa", 10),
    ("JO", "", "Aqaba", 3), ("JO", "", "", 4), ("GB", "SW1A 1AA", "", 2), ("GB", "M1 2AB", "", 1),
    ("US", "10001", "", 2), ("DE", "10115", "Berlin", 2), ("AE", "", "Dubai", 3), ("SA", "", "Riyadh", 3),
    ("LB", "", "Beirut", 2), ("EG", "", "Cairo", 2),
]  # fmt: skip
COMMENTS = ["My grandmother lives in Mafraq and buys water every week.", "Water is a right.",
            "الماء حق للجميع.", "Fix them before next summer.", "أهلي في المفرق ينتظرون.", ""]  # fmt: skip


def _ensure_petition(context: Any, report: DemoReport) -> PetitionPage | None:
    campaign = context.campaign
    page = PetitionPage.objects.child_of(campaign).filter(slug=SLUG).first()
    if page is None:
        page = PetitionPage(
            locale=context.english,
            state=PetitionPage.State.OPEN,
            goal=5_000,
            opens_at=timezone.now() - datetime.timedelta(days=21),
            closes_at=timezone.now() + datetime.timedelta(days=60),
            **CONTENT_EN,
        )
        campaign.add_child(instance=page)
        page.targets.set(context.targets)
        for count, message in ((1_000, "A thousand voices: thank you."), (2_500, ""), (4_000, "")):
            page.milestones.add(PetitionMilestone(count=count, message=message))
        page.save()
        page = publish(page)
        report.add(f"petition: {CONTENT_EN['title']} (en)")
    if context.arabic is not None:
        ensure_translation(page, context.arabic, CONTENT_AR, report)
    return page


def _signatures(petition: PetitionPage, count: int) -> list[Signature]:
    rng = random.Random(20261202)  # noqa: S311 (demo data, not secrets)
    now = timezone.now()
    places, weights = PLACES, [p[3] for p in PLACES]
    rows = []
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        country, postcode, city, _weight = rng.choices(places, weights)[0]
        # More signatures early on and after the campaign's news, as real petitions show.
        age = datetime.timedelta(hours=min(rng.expovariate(1 / 120), 20 * 24))
        created = now - age - datetime.timedelta(minutes=rng.randint(5, 60))
        email = f"{first}.{last}{n}@example.net".lower()
        language = "ar" if country in ("JO", "AE", "SA", "LB", "EG") and rng.random() < 0.7 else "en"
        rows.append(
            Signature(
                petition=petition,
                status=Signature.Status.CONFIRMED,
                source=rng.choices(["form", "embed", "api"], [85, 12, 3])[0],
                name=f"{first} {last}",
                email=email,
                email_canonical=email_canonical(email),
                email_domain="example.net",
                country=country,
                region=region_for(country=country, postcode=postcode, city=city),
                postcode=postcode,
                city=city,
                comment=rng.choice(COMMENTS) if rng.random() < 0.2 else "",
                public=rng.random() < 0.6,
                updates=rng.random() < 0.4,
                consent_version=CONSENT_VERSION,
                language=language,
                ip=f"198.51.100.{rng.randint(1, 254)}",
                created_at=created,
                email_sent_at=created,
                confirmed_at=created + datetime.timedelta(minutes=rng.randint(1, 90)),
            )
        )
    return rows


def load_demo(context: Any, report: DemoReport) -> None:
    """Called by campaigns.demo.load_demo with the campaign, its translation, the targets and locales."""
    petition = _ensure_petition(context, report)
    if petition is None or Signature.objects.filter(petition=petition).exists():
        return
    rows = _signatures(petition, SIGNATURES)
    Signature.objects.bulk_create(rows, batch_size=1000)
    # The milestones it has passed were celebrated long ago: no emails to demo signers now.
    passed = [c for c in [*petition.milestones.values_list("count", flat=True), petition.goal] if c <= len(rows)]
    now = timezone.now()
    for count in passed:
        MilestoneReached.objects.get_or_create(
            petition=petition,
            count=count,
            defaults={"staff_notified_at": now, "signers_emailed_at": now, "reached_at": now},
        )
    total = signatures_recount(petition=petition)
    report.add(f"petition signatures: {total} confirmed, folded into the counters")
