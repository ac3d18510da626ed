"""Demo data for advocacy: a campaign in English and Arabic, the officials it addresses, and its actions.

Each part of the app (petitions, marches, proposals) adds its own demo below the
campaign through its ``demo.load_demo(context, report)``; only what is missing is made.
"""

from __future__ import annotations

from dataclasses import dataclass

from wagtail.models import Locale, Site

from campaigns.models import CampaignPage, Target
from cms.demo import DemoReport, ensure_translation, publish

TARGETS = [
    {"name": "Rana Khalil", "name_ar": "رنا خليل", "role": "Minister of Water", "role_ar": "وزيرة المياه",
     "office": "Ministry of Water and Irrigation", "office_ar": "وزارة المياه والري", "region": "Amman",
     "phone": "+962 6 555 0100", "email": "minister@water.example.gov", "web_form_url": "https://water.example.gov/contact"},
    {"name": "Khaled Odeh", "name_ar": "خالد عودة", "role": "Member of Parliament", "role_ar": "عضو مجلس النواب",
     "office": "House of Representatives", "office_ar": "مجلس النواب", "region": "Irbid",
     "phone": "+962 2 555 0200", "email": "k.odeh@parliament.example.gov", "web_form_url": ""},
    {"name": "Lina Haddad", "name_ar": "لينا حداد", "role": "Member of Parliament", "role_ar": "عضو مجلس النواب",
     "office": "House of Representatives", "office_ar": "مجلس النواب", "region": "Mafraq",
     "phone": "+962 2 555 0300", "email": "", "web_form_url": "https://parliament.example.gov/haddad"},
]  # fmt: skip


def content(lang: str) -> dict:
    if lang == "ar":
        return {
            "title": "مياه نظيفة الآن",
            "summary": "لكل قرية الحق في بئر ماء نظيف.",
            "hero_heading": "مياه نظيفة لكل قرية",
            "hero_text": "وقّع العريضة، واتصل بنوابك، وتبرّع لحفر الآبار.",
        }
    return {
        "title": "Clean water now",
        "slug": "clean-water",
        "summary": "Every village has a right to a clean well.",
        "hero_heading": "Clean water for every village",
        "hero_text": "Sign the petition, call your representatives and give to dig wells.",
        "goal_kind": CampaignPage.GoalKind.SIGNATURES,
        "goal_number": 10_000,
    }


@dataclass
class CampaignDemo:
    campaign: CampaignPage
    campaign_ar: CampaignPage | None
    targets: list[Target]
    english: Locale
    arabic: Locale | None


def load_demo(report: DemoReport) -> None:
    targets = []
    for values in TARGETS:
        target, created = Target.objects.get_or_create(name=values["name"], defaults=values)
        if created:
            report.add(f"target: {values['name']}")
        targets.append(target)
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return
    home = site.root_page
    english = Locale.objects.get(language_code="en")
    campaign = CampaignPage.objects.child_of(home).filter(slug="clean-water", locale=english).first()
    if campaign is None:
        campaign = CampaignPage(locale=english, show_in_menus=True, **content("en"))
        home.add_child(instance=campaign)
        campaign = publish(campaign)
        report.add("page: Clean water now (en)")
    arabic = Locale.objects.filter(language_code="ar").first()
    campaign_ar = ensure_translation(campaign, arabic, content("ar"), report) if arabic else None
    context = CampaignDemo(campaign=campaign, campaign_ar=campaign_ar, targets=targets, english=english, arabic=arabic)
    from campaigns.marches import demo as marches_demo
    from campaigns.petitions import demo as petitions_demo
    from campaigns.proposals import demo as proposals_demo

    for part in (petitions_demo, marches_demo, proposals_demo):
        part.load_demo(context, report)
