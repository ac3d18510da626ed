"""Demo data for giving: funds and a donate page in English and Arabic (only what is missing)."""

from __future__ import annotations

from wagtail.models import Locale, Site

from cms.demo import DemoReport, ensure_translation, publish
from donations.models import Donation, Fund
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


# Demo donors: gifts made through the same services and sandbox events as a real donor's,
# so the books, receipts and the transparency page have something to show on first run.
DEMO_GIFTS = [
    # (name, email, language, amount in minor units, currency, fund name or None, anonymous)
    ("Amina Haddad", "amina.haddad@example.org", "en", 5000, "USD", None, False),
    ("فاطمة الزهراء", "fatima.zahra@example.org", "ar", 35000, "JOD", "Zakat fund", False),
    ("Omar Khalil", "omar.khalil@example.org", "en", 10000, "USD", "Emergency relief", True),
    ("Sara Nasser", "sara.nasser@example.org", "en", 2500, "GBP", None, False),
    ("يوسف العلي", "yousef.ali@example.org", "ar", 40000, "SAR", "Emergency relief", False),
    ("Layla Mansour", "layla.mansour@example.org", "en", 25000, "USD", "Zakat fund", False),
    ("Daniel Price", "daniel.price@example.org", "en", 5000, "EUR", None, True),
    ("مريم حسن", "mariam.hasan@example.org", "ar", 15000, "KWD", None, False),
]


def load_demo_gifts(report: DemoReport) -> None:
    """A handful of paid sandbox gifts (once), one partly refunded, then a signed ledger checkpoint."""
    import uuid

    from django.contrib.auth import get_user_model

    from donations.gateways.sandbox import SandboxGateway, find_test_card
    from donations.ledger.services import checkpoint_publish
    from donations.services.staff import donation_refund
    from donations.services.start import GiftRequest, donation_start
    from donations.services.webhooks import webhook_events_drain

    if Donation.objects.filter(utm_source="demo").exists():
        return
    gateway = SandboxGateway()
    card = find_test_card("4242424242424242")
    namespace = uuid.UUID("6f1d4f3e-2f6b-4c55-9d0e-5a8d2b1c7e90")
    made = []
    for name, email, language, amount, currency, fund_name, anonymous in DEMO_GIFTS:
        fund = Fund.objects.filter(name=fund_name).first() if fund_name else None
        gift = GiftRequest(
            attempt_id=uuid.uuid5(namespace, email),
            amount_minor=amount,
            currency=currency,
            frequency="one_time",
            name=name,
            email=email,
            language=language,
            anonymous=anonymous,
            fund_id=fund.pk if fund else None,
            utm={"source": "demo"},
        )
        donation, _created = donation_start(gift=gift, prepare_payment=True)
        if not donation.paid:
            gateway.pay(donation, card)
        made.append(donation)
    # load_demo runs in one transaction, so the events' own on-commit processing would come too late.
    webhook_events_drain(budget_seconds=60)
    first = Donation.objects.get(pk=made[0].pk)
    if first.paid and first.amount_refunded_minor == 0:
        # Refunds are staff actions: a demo finance user (who cannot sign in) makes this one.
        finance, created = get_user_model().objects.get_or_create(
            username="demo-finance", defaults={"is_active": False, "first_name": "Demo", "last_name": "Finance"}
        )
        if created:
            finance.set_unusable_password()
            finance.save(update_fields=["password"])
        donation_refund(
            donation=first,
            amount_minor=first.amount_minor // 5,
            reason="Demo: the donor asked for part of the gift back.",
            user=finance,
            request_id=uuid.uuid5(namespace, "demo-refund"),
        )
        webhook_events_drain(budget_seconds=60)
    checkpoint_publish()
    report.add(f"gifts: {len(made)} sandbox gifts with receipts, one partly refunded, and a ledger checkpoint")
