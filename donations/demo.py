"""Demo data for giving: funds and a donate page in English and Arabic (only what is missing)."""

from __future__ import annotations

from wagtail.models import Locale, Site

from cms.demo import DemoReport, ensure_translation, publish
from donations.models import Fund
from donations.pages import DonatePage

FUNDS = [
    {"name": "General fund", "name_ar": "الصندوق العام", "restricted": False, "zakat_eligible": False,
     "description": "Unrestricted: spent where the need is greatest."},
    {"name": "Zakat fund", "name_ar": "صندوق الزكاة", "restricted": True, "zakat_eligible": True,
     "description": "Spent only on zakat-eligible beneficiaries."},
    {"name": "Emergency relief", "name_ar": "الإغاثة الطارئة", "restricted": True, "zakat_eligible": False,
     "description": "Food, water and shelter when a crisis strikes."},
]  # fmt: skip


def form_value(lang: str) -> dict:
    return {
        "heading": "اختر هديتك" if lang == "ar" else "Choose your gift",
        "intro": "",
        "currencies": ["USD", "JOD", "EUR", "GBP", "SAR", "AED", "KWD"],
        "default_currency": "JOD" if lang == "ar" else "USD",
        "presets": [
            {"currency": "USD", "one_time": "25, 50, 100, 250", "monthly": "10, 20, 50"},
            {"currency": "JOD", "one_time": "20, 35, 70, 175", "monthly": "5, 15, 35"},
            {"currency": "EUR", "one_time": "25, 50, 100, 250", "monthly": "10, 20, 50"},
            {"currency": "GBP", "one_time": "20, 40, 80, 200", "monthly": "8, 15, 40"},
            {"currency": "SAR", "one_time": "100, 200, 400, 1000", "monthly": "40, 75, 200"},
            {"currency": "AED", "one_time": "100, 200, 400, 1000", "monthly": "40, 75, 200"},
            {"currency": "KWD", "one_time": "8, 15, 30, 75", "monthly": "3, 6, 15"},
        ],
        "frequencies": ["one_time", "monthly"],
        "default_frequency": "one_time",
        "fund": None,
        "monthly_upsell": True,
        "ask_demographics": True,
    }


def content(lang: str) -> dict:
    if lang == "ar":
        return {
            "title": "تبرّع",
            "intro": "يصل تبرعك خلال دقيقة، وتحصل فورًا على تأكيد، وننشر علنًا أين ذهب المال.",
            "form": [("donate", form_value("ar"))],
            "thank_you": "شكرًا لك! سنرسل لك كل عام حسابًا بما صنعه عطاؤك.",
        }
    return {
        "title": "Give",
        "slug": "give",
        "intro": "Your gift takes a minute. You get a confirmation at once, and we publish where the money went.",
        "form": [("donate", form_value("en"))],
        "thank_you": "Thank you! Every year we will show you what your giving made possible.",
    }


def load_demo(report: DemoReport) -> None:
    for fund in FUNDS:
        _fund, created = Fund.objects.get_or_create(name=fund["name"], defaults=fund)
        if created:
            report.add(f"fund: {fund['name']}")
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        return
    home = site.root_page
    english = Locale.objects.get(language_code="en")
    page = DonatePage.objects.child_of(home).filter(slug="give", locale=english).first()
    if page is None:
        page = DonatePage(locale=english, show_in_menus=True, **content("en"))
        home.add_child(instance=page)
        page = publish(page)
        report.add("page: Give (en)")
    arabic = Locale.objects.filter(language_code="ar").first()
    if arabic is not None:
        ensure_translation(page, arabic, content("ar"), report)
