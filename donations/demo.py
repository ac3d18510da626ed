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


# -- A year of giving for Insights ----------------------------------------------------------------
# Gifts drawn from a model with the effects the research found: most at midday, most on Tuesday and
# Wednesday, fewer on holidays and at night, more in Sha'ban and far more in Ramadan (most in its last
# ten nights), and one crisis appeal. Made with bulk_create, as history imported from an earlier
# system would be, and posted to the ledger in bulk (ledger_post_many) with the entries the live path
# gives a paid gift and its refund, so the books and the transparency page include them. They get no
# receipts: those were issued, if ever, by the system the history came from (docs/insights.md).

INSIGHTS_NAMESPACE = "2b9e3c1a-7f0d-4a8e-9c55-1d6f0e4b8a21"
INSIGHTS_SEED = 2026
INSIGHTS_DONORS = 1400
INSIGHTS_MONTHLY = 220
INSIGHTS_GIFTS_PER_DAY = 14.0
CRISIS_DAYS_AGO = 120
CRISIS_NOTE = "Earthquake appeal"
# One unit of each currency in USD (demo figures, not market rates).
DEMO_RATES = {"JOD": "1.41", "EUR": "1.08", "GBP": "1.27", "SAR": "0.2667", "AED": "0.2723", "KWD": "3.25",
              "EGP": "0.0205", "JPY": "0.0067"}  # fmt: skip
CURRENCY_MIX = [("USD", 40), ("JOD", 28), ("EUR", 9), ("GBP", 8), ("SAR", 8), ("KWD", 4), ("AED", 3)]
AMOUNTS = {"USD": [25, 50, 100, 250], "JOD": [20, 35, 70, 175], "EUR": [25, 50, 100, 250], "GBP": [20, 40, 80, 200],
           "SAR": [100, 200, 400, 1000], "AED": [100, 200, 400, 1000], "KWD": [8, 15, 30, 75]}  # fmt: skip
WEEKDAY_WEIGHT = [1.05, 1.4, 1.35, 1.0, 0.75, 0.8, 0.95]  # Monday first
SOURCES = [("", "", 38), ("newsletter", "email", 20), ("facebook", "social", 14), ("instagram", "social", 10),
           ("google", "cpc", 10), ("whatsapp", "social", 8)]  # fmt: skip
COUNTRIES = [("JO", 34), ("GB", 14), ("US", 14), ("SA", 10), ("AE", 7), ("KW", 5), ("DE", 5), ("", 11)]


def _hour_weight(hour: int) -> float:
    import math

    midday = math.exp(-((hour - 12.5) ** 2) / (2 * 2.2**2))
    evening = 0.45 * math.exp(-((hour - 20.5) ** 2) / (2 * 1.5**2))
    return 0.04 + midday + evening


def _poisson(rng, mean: float) -> int:
    import math

    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _pick(rng, weighted):
    return rng.choices([item[:-1] if len(item) > 2 else item[0] for item in weighted], [item[-1] for item in weighted])[
        0
    ]


def _day_factor(day, today) -> float:
    from datetime import timedelta

    from donations.insights.hijri import to_hijri

    hijri = to_hijri(day)
    factor = 1.0
    if hijri.month == 9:
        factor *= 2.2 if hijri.day <= 20 else 3.4
    elif hijri.month == 8:
        factor *= 1.35
    elif hijri.month == 12 and hijri.day <= 10:
        factor *= 1.6
    if (hijri.month, hijri.day) in {(10, 1), (10, 2), (12, 10), (12, 11)} or (day.month, day.day) == (1, 1):
        factor *= 0.45  # the Eids and New Year's Day: people are with family
    since_crisis = (day - (today - timedelta(days=CRISIS_DAYS_AGO))).days
    if 0 <= since_crisis < 14:
        factor *= 1 + 9 * 0.72**since_crisis
    return factor


def load_demo_insights(report: DemoReport) -> None:
    """A year of gifts with realistic patterns, monthly donors, consented survey answers and rates (once)."""
    import random
    import uuid
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from donations.insights.models import ExchangeRate, SpikeAnnotation
    from donations.insights.services import insights_rebuild, organisation_reporting
    from donations.models import DonorSurvey, RecurringGift
    from supporters.models import Consent, Supporter

    namespace = uuid.UUID(INSIGHTS_NAMESPACE)
    marker = uuid.uuid5(namespace, "gift-0")
    if Donation.objects.filter(attempt_id=marker).exists():
        # Loaded before: post whatever of it is not in the books yet (a demo loaded before it was posted).
        posted = _insights_history_post(_insights_unposted(namespace))
        if posted:
            report.add(f"insights: {posted} ledger transactions for the year of gifts")
        return
    reporting, time_zone = organisation_reporting()
    zone = ZoneInfo(time_zone)
    rng = random.Random(INSIGHTS_SEED)  # noqa: S311 - demo data, reproducible on purpose
    today = timezone.now().astimezone(zone).date()
    start = today - timedelta(days=365)

    if reporting == "USD":
        for currency, rate in DEMO_RATES.items():
            ExchangeRate.objects.get_or_create(
                currency=currency, reporting_currency="USD", valid_from=start - timedelta(days=400),
                defaults={"rate": Decimal(rate), "source": "demo"},
            )  # fmt: skip

    emails = [f"donor{n:04d}@demo.example.org" for n in range(INSIGHTS_DONORS)]
    existing = set(Supporter.objects.filter(email__in=emails).values_list("email", flat=True))
    Supporter.objects.bulk_create(
        [Supporter(email=email, name=f"Demo donor {n}") for n, email in enumerate(emails) if email not in existing]
    )
    people = list(Supporter.objects.filter(email__in=emails).order_by("email").values_list("pk", flat=True))
    funds = {fund.name: fund.pk for fund in Fund.objects.all()}

    def amount_in(currency: str, scale: float = 1.0) -> int:
        from donations.money import exponent, round_up_to_step

        major = rng.choices(AMOUNTS[currency], [30, 35, 25, 10])[0] * scale
        return round_up_to_step(int(major * 10 ** exponent(currency)), currency)

    gifts: list[Donation] = []
    number = 0

    def add(moment, person, currency, amount, **fields) -> None:
        nonlocal number
        source, medium = fields.pop("utm", None) or _pick(rng, SOURCES)
        gifts.append(
            Donation(
                attempt_id=uuid.uuid5(namespace, f"gift-{number}"), supporter_id=person, amount_minor=amount,
                currency=currency, gateway="sandbox", status=Donation.Status.SUCCEEDED, succeeded_at=moment,
                surface=fields.pop("surface", None) or rng.choices(["page", "block", "embed"], [55, 20, 25])[0],
                device_class=rng.choices(["mobile", "desktop", "tablet"], [60, 35, 5])[0],
                payment_method_type=rng.choices(["card", "apple_pay", "google_pay", "link"], [78, 12, 7, 3])[0],
                address_country=_pick(rng, COUNTRIES), utm_source=source, utm_medium=medium,
                referrer_class="email" if medium == "email" else ("social" if medium == "social" else "direct"),
                **fields,
            )
        )  # fmt: skip
        number += 1

    day = start
    while day <= today:
        factor = _day_factor(day, today) * WEEKDAY_WEIGHT[day.weekday()]
        crisis = 0 <= (day - (today - timedelta(days=CRISIS_DAYS_AGO))).days < 14
        for hour in range(24):
            for _n in range(_poisson(rng, INSIGHTS_GIFTS_PER_DAY * factor * _hour_weight(hour) / 7.4)):
                local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone)
                currency = _pick(rng, CURRENCY_MIX)
                fund = None
                if crisis and rng.random() < 0.7:
                    fund = funds.get("Emergency relief")
                elif rng.random() < 0.2:
                    fund = funds.get("Zakat fund")
                # Returning donors: a quarter of the pool gives most of the gifts.
                person = people[int(len(people) * rng.random() ** 2.2)]
                add(local.astimezone(UTC), person, currency, amount_in(currency, 1.6 if crisis else 1.0), fund_id=fund,
                    utm_campaign="earthquake-appeal" if crisis else "")  # fmt: skip
        day += timedelta(days=1)

    # Monthly donors: more start in Ramadan; some stop, a few change their amount.
    recurring = []
    for n in range(INSIGHTS_MONTHLY):
        started = start + timedelta(days=rng.randrange(0, 330))
        if rng.random() < 0.3:
            ramadan = [
                start + timedelta(days=d) for d in range(365) if _day_factor(start + timedelta(days=d), today) > 2
            ]
            started = rng.choice(ramadan) if ramadan else started
        currency = _pick(rng, CURRENCY_MIX[:4])
        recurring.append(
            RecurringGift(
                supporter_id=people[-1 - n], amount_minor=amount_in(currency, 0.3), currency=currency,
                gateway="sandbox", status=RecurringGift.Status.ACTIVE,
                subscription_id=f"demo_insights_{n}",
            )
        )  # fmt: skip
        recurring[-1]._started = started
    RecurringGift.objects.bulk_create(recurring)
    for gift_plan in RecurringGift.objects.filter(subscription_id__startswith="demo_insights_").order_by("pk"):
        n = int(gift_plan.subscription_id.rsplit("_", 1)[1])
        paid_on, amount = recurring[n]._started, gift_plan.amount_minor
        # Renewals are charged at the hour the donor first gave.
        hour = rng.choices(range(24), [_hour_weight(h) for h in range(24)])[0]
        while paid_on <= today:
            local = datetime(paid_on.year, paid_on.month, paid_on.day, hour, 0, tzinfo=zone)
            add(local.astimezone(UTC), gift_plan.supporter_id, gift_plan.currency, amount, frequency="monthly",
                recurring_gift_id=gift_plan.pk, surface="recurring")  # fmt: skip
            if rng.random() < 0.05:
                RecurringGift.objects.filter(pk=gift_plan.pk).update(status=RecurringGift.Status.CANCELED)
                break
            if rng.random() < 0.03:
                amount = max(amount + rng.choice([-1, 1]) * amount // 3, 100)
            paid_on = (paid_on.replace(day=1) + timedelta(days=32)).replace(day=min(paid_on.day, 28))

    # Advocacy to giving: some of the demo's signers and marchers give a few days after they act.
    from donations.insights.advocacy import sources

    for source in sources():
        for person, first in source.first_actions().values_list("supporter_id", "first")[:2000]:
            if rng.random() < 0.4:
                # Days later for those who acted long ago; within hours (never in the future) for today's.
                moment = min(first + timedelta(days=rng.randrange(1, 40), hours=rng.randrange(0, 8)), timezone.now())
                if moment > first:
                    currency = _pick(rng, CURRENCY_MIX)
                    add(moment, person, currency, amount_in(currency), utm=("newsletter", "email"))

    for index in range(0, len(gifts), 97):  # about one gift in a hundred partly refunded
        gifts[index].amount_refunded_minor = gifts[index].amount_minor // 2
        gifts[index].status = Donation.Status.PARTIALLY_REFUNDED
    Donation.objects.bulk_create(gifts, batch_size=2000)
    # The moment each gift was given (auto_now_add filled in the loading time).
    by_attempt = {gift.attempt_id: gift.succeeded_at for gift in gifts}
    rows = list(Donation.objects.filter(attempt_id__in=list(by_attempt)).only(*HISTORY_FIELDS))
    for row in rows:
        row.created_at = by_attempt[row.attempt_id]
    Donation.objects.bulk_update(rows, ["created_at"], batch_size=2000)
    posted = _insights_history_post(rows)

    # Consented survey answers from a share of the donors, enough for groups of ten.
    consents, surveys = [], []
    for person in people[: INSIGHTS_DONORS // 2]:
        consents.append(Consent(supporter_id=person, topic=Consent.Topic.DEMOGRAPHICS, granted=True,
                                wording="Demo: I agree to answer these questions.", wording_version="demo",
                                source="demo"))  # fmt: skip
        surveys.append(
            DonorSurvey(
                supporter_id=person,
                age_band=rng.choices([c for c, _l in DonorSurvey.AgeBand.choices], [8, 24, 27, 19, 14, 8])[0],
                gender=rng.choices(["woman", "man", "other", ""], [48, 46, 2, 4])[0],
                country=_pick(rng, COUNTRIES),
            )
        )
    Consent.objects.bulk_create(consents)
    DonorSurvey.objects.bulk_create(surveys)
    SpikeAnnotation.objects.get_or_create(day=today - timedelta(days=CRISIS_DAYS_AGO), note=CRISIS_NOTE)
    insights_rebuild()
    report.add(
        f"insights: {len(gifts)} gifts over a year ({posted} ledger transactions), {len(recurring)} monthly donors, "
        "rates and a crisis appeal"
    )


# What posting a gift of the year needs to know of it (imported_gift_postings reads these).
HISTORY_FIELDS = ("pk", "attempt_id", "reference", "supporter_id", "amount_minor", "currency", "gateway", "fund_id",
                  "designation_page_id", "succeeded_at", "amount_refunded_minor", "processor_fee_minor",
                  "offline_method", "dispute_status", "recorded_by_id")  # fmt: skip
REFUND_AFTER_DAYS = 3


def _insights_history_post(rows) -> int:
    """Post the year's gifts (and their refunds) as the live path would, in bulk, then sign a checkpoint."""
    from datetime import timedelta

    from django.utils import timezone

    from donations.ledger.posting import imported_gift_postings
    from donations.ledger.services import checkpoint_publish, ledger_post_many

    now = timezone.now()
    rows = sorted(rows, key=lambda row: (row.succeeded_at, row.pk))  # the books in the order it was given
    postings = imported_gift_postings(
        rows, refunded_at=lambda gift: min(gift.succeeded_at + timedelta(days=REFUND_AFTER_DAYS), now)
    )
    posted = ledger_post_many(postings)
    if posted:
        checkpoint_publish()
    return len(posted)


def _insights_unposted(namespace) -> list[Donation]:
    """The year's paid gifts that have no gift posting yet (none, once it has been posted)."""
    import uuid

    from donations.ledger.models import LedgerTransaction

    unposted = Donation.objects.filter(succeeded_at__isnull=False, gateway="sandbox").exclude(
        pk__in=LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.GIFT, donation__isnull=False).values(
            "donation_id"
        )
    )
    if not unposted.exists():
        return []
    # The year's gifts are the ones with the demo's attempt ids, gift-0 to gift-<n>.
    ours = {uuid.uuid5(namespace, f"gift-{n}") for n in range(Donation.objects.count())}
    return [row for row in unposted.only(*HISTORY_FIELDS).iterator(chunk_size=2000) if row.attempt_id in ours]
