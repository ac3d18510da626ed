"""A donor's path through the sandbox gateway, as a browser without JavaScript walks it."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from donations.models import Donation, DonationEvent, DonorSurvey, RecurringGift, WebhookEvent
from supporters.models import Consent, Supporter
from tests.conftest import translate
from tests.donations.conftest import card_form, gift_form

pytestmark = pytest.mark.django_db


def start(browser, page, **overrides) -> tuple[Donation, object]:
    response = browser.post("/donate/start/", gift_form(page.form_config(), **overrides))
    donation = Donation.objects.order_by("-pk").first()
    return donation, response


def pay(browser, donation: Donation, number: str = "4242424242424242"):
    browser.get(f"/donate/{donation.reference}/pay/")
    return browser.post(f"/donate/{donation.reference}/pay/", card_form(number))


def test_the_form_shows_amounts_currencies_and_test_mode(browser, donate_page):
    body = browser.get("/give/").content.decode()
    assert "TEST MODE" in body
    assert '<option value="JOD">JOD – Jordanian Dinar</option>' in body
    for label in ("$25", "$50", "$100", "Other amount", "Cover the card fee", "Full name", "Email"):
        assert label in body
    assert "2.9% + $0.30, so we receive your whole gift" in body
    # No-JavaScript currency switch: a plain GET form.
    assert "JOD20" in browser.get("/give/?currency=JOD").content.decode()


def test_a_card_that_succeeds_makes_a_paid_gift_and_a_confirmation(browser, donate_page):
    donation, response = start(browser, donate_page)
    assert response.status_code == 302
    assert response["Location"] == f"/donate/{donation.reference}/pay/"
    assert donation.status == Donation.Status.PENDING
    assert (donation.amount_minor, donation.currency, donation.frequency) == (5000, "USD", "one_time")

    pay_page = browser.get(f"/donate/{donation.reference}/pay/").content.decode()
    assert "4242 4242 4242 4242" in pay_page and "$50.00" in pay_page
    response = browser.post(f"/donate/{donation.reference}/pay/", card_form())
    assert response.status_code == 302 and response["Location"].endswith("/thanks/")

    donation.refresh_from_db()
    assert donation.status == Donation.Status.SUCCEEDED
    assert (donation.card_brand, donation.card_last4) == ("visa", "4242")
    assert donation.processor_fee_minor == 175  # 2.9% of $50 rounded up, plus 30 cents
    kinds = list(donation.events.values_list("kind", flat=True))
    assert kinds == ["created", "succeeded", "confirmation_sent"]

    thanks = browser.get(response["Location"]).content.decode()
    assert "Thank you, Huda Haddad!" in thanks
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["huda@example.org"]
    assert "$50.00" in mail.outbox[0].body and "Visa •••• 4242" in mail.outbox[0].body


def test_the_card_number_is_never_stored(browser, donate_page):
    donation, _ = start(browser, donate_page)
    pay(browser, donation)
    stored = [str(v) for v in Donation.objects.values().get(pk=donation.pk).values()]
    stored += [str(payload) for payload in WebhookEvent.objects.values_list("payload", flat=True)]
    assert not any("4242424242424242" in value or "4242 4242" in value for value in stored)


def test_a_declined_card_fails_and_the_donor_can_try_another(browser, donate_page):
    donation, _ = start(browser, donate_page)
    response = pay(browser, donation, "4000 0000 0000 0002")
    assert response.status_code == 200
    assert "Your card was declined" in response.content.decode()
    donation.refresh_from_db()
    assert donation.status == Donation.Status.FAILED
    assert donation.failure_code == "generic_decline"
    assert mail.outbox == []
    browser.post(f"/donate/{donation.reference}/pay/", card_form())
    donation.refresh_from_db()
    assert donation.status == Donation.Status.SUCCEEDED


@pytest.mark.parametrize(("result", "status"), [("pass", "succeeded"), ("fail", "failed")])
def test_a_card_that_needs_authentication(browser, donate_page, result, status):
    donation, _ = start(browser, donate_page)
    response = pay(browser, donation, "4000002500003155")
    assert response["Location"] == f"/donate/{donation.reference}/authenticate/"
    donation.refresh_from_db()
    assert donation.status == Donation.Status.REQUIRES_ACTION
    assert "Complete authentication" in browser.get(response["Location"]).content.decode()
    browser.post(response["Location"], {"result": result})
    donation.refresh_from_db()
    assert donation.status == status


def test_a_card_that_is_disputed_later(browser, donate_page):
    donation, _ = start(browser, donate_page)
    pay(browser, donation, "4000000000000259")
    donation.refresh_from_db()
    # Tasks run at once here; with a worker the dispute comes SANDBOX_DISPUTE_DELAY_SECONDS later.
    assert donation.succeeded_at is not None
    assert donation.status == Donation.Status.DISPUTED
    assert donation.events.filter(kind=DonationEvent.Kind.DISPUTE_OPENED, amount_minor=5000).exists()
    assert len(mail.outbox) == 1  # the donor was thanked when the payment succeeded


def test_covering_the_fee_adds_the_exact_amount(browser, donate_page):
    donation, _ = start(browser, donate_page, cover_fee="on")
    assert (donation.amount_minor, donation.fee_covered_minor) == (5181, 181)


@pytest.mark.parametrize(
    ("currency", "typed", "minor"),
    [("USD", "٧٥٫٥٠", 7550), ("USD", "1,000", 100_000), ("JOD", "12.35", 12_350), ("JPY", "4000", 4000)],
)
def test_other_amounts_in_each_currency(browser, donate_page, currency, typed, minor):
    donation, response = start(browser, donate_page, currency=currency, amount="other", other_amount=typed)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert (donation.amount_minor, donation.currency) == (minor, currency)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"currency": "JOD", "amount": "other", "other_amount": "20.005"}, "whole number of tens"),
        ({"currency": "JPY", "amount": "other", "other_amount": "1500.5"}, "at most 0 decimal places"),
        ({"amount": "other", "other_amount": "0.50"}, "The smallest online gift is $1.00."),
        ({"amount": "other", "other_amount": "250000"}, "The largest online gift is $100,000.00."),
        ({"amount": "other", "other_amount": "fifty"}, "Enter an amount as a number"),
        ({"amount": "999999"}, "Select a valid choice"),
        ({"amount": "", "other_amount": ""}, "Choose an amount or enter your own."),
        ({"currency": "EUR"}, "That currency is not offered here."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"name": ""}, "This field is required."),
        ({"website": "http://spam.example"}, "looked automated"),
        ({"tribute": "memory", "tribute_name": ""}, "Give the name of the person"),
    ],
)
def test_bad_input_gets_a_clear_error_and_no_gift(browser, donate_page, overrides, message):
    response = browser.post("/donate/start/", gift_form(donate_page.form_config(), **overrides))
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body.replace("\u00a0", " ").replace("&#x27;", "'")
    assert not Donation.objects.exists()
    assert not Supporter.objects.exists()


def test_a_tampered_form_is_refused(browser, donate_page):
    config = donate_page.form_config()
    token = config.sign()
    forged = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    for bad in (forged, "not-a-token", ""):
        response = browser.post("/donate/start/", gift_form(config, config_token=bad))
        assert response.status_code == 400
        assert "changed after it left our site" in response.content.decode()
    assert not Donation.objects.exists()


def test_a_week_old_form_is_refused(browser, donate_page):
    config = donate_page.form_config()
    eight_days_ago = time.time() - 8 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=eight_days_ago):
        token = config.sign()
    response = browser.post("/donate/start/", gift_form(config, config_token=token))
    assert response.status_code == 400
    assert "more than a week old" in response.content.decode()
    assert not Donation.objects.exists()


def test_a_replayed_submission_charges_nothing_more(browser, donate_page):
    data = gift_form(donate_page.form_config())
    browser.post("/donate/start/", data)
    again = browser.post("/donate/start/", data)
    assert Donation.objects.count() == 1
    donation = Donation.objects.get()
    assert again["Location"] == f"/donate/{donation.reference}/pay/"
    pay(browser, donation)
    replay = browser.post("/donate/start/", data, follow=True)
    assert "You already made this gift; it was not charged again." in replay.content.decode()
    assert Donation.objects.count() == 1
    assert WebhookEvent.objects.filter(event_type="payment_intent.succeeded").count() == 1


def test_another_browser_sees_nothing_of_the_gift(browser, donate_page):
    donation, _ = start(browser, donate_page)
    stranger = Client()
    for step in ("pay", "thanks", "monthly", "authenticate"):
        assert stranger.get(f"/donate/{donation.reference}/{step}/").status_code == 404


def test_a_forged_or_edited_gift_cookie_opens_nothing(browser, donate_page):
    """The browser's proof of its gifts is signed: copying the reference into a cookie, or editing it, fails."""
    from donations.gift_cookie import COOKIE

    donation, _ = start(browser, donate_page)
    signed = browser.client.cookies[COOKIE].value
    assert str(donation.reference) in signed  # the proof travels with the browser, not in a session row
    assert browser.client.get(f"/donate/{donation.reference}/pay/").status_code == 200
    for forged in (str(donation.reference), signed.replace(str(donation.reference)[:8], "00000000"), signed + "x"):
        stranger = Client()
        stranger.cookies[COOKIE] = forged
        assert stranger.get(f"/donate/{donation.reference}/pay/").status_code == 404


def test_consent_and_survey_are_kept_apart_from_the_gift(browser, donate_page):
    start(
        browser,
        donate_page,
        email_updates="on",
        survey_consent="on",
        age_band="35_44",
        gender="woman",
        survey_country="JO",
        survey_city="Irbid",
    )
    supporter = Supporter.objects.get()
    consents = {consent.topic: consent for consent in Consent.objects.filter(supporter=supporter)}
    assert set(consents) == {Consent.Topic.EMAIL_UPDATES, Consent.Topic.DEMOGRAPHICS}
    assert consents[Consent.Topic.EMAIL_UPDATES].wording.startswith("Yes, email me news")
    assert consents[Consent.Topic.EMAIL_UPDATES].wording_version == "donation-updates-v1"
    survey = DonorSurvey.objects.get()
    assert (survey.age_band, survey.gender, str(survey.country), survey.city) == ("35_44", "woman", "JO", "Irbid")


def test_survey_answers_without_consent_are_dropped(browser, donate_page):
    start(browser, donate_page, age_band="35_44", gender="woman")
    assert not DonorSurvey.objects.exists()
    assert not Consent.objects.exists()


def test_channel_and_source_are_recorded(browser, donate_page):
    browser.get("/give/?utm_source=newsletter&utm_medium=email&utm_campaign=ramadan")
    donation, _ = start(
        browser,
        donate_page,
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="ramadan",
        referrer_class="search",
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
    )
    assert (donation.utm_source, donation.utm_medium, donation.utm_campaign) == ("newsletter", "email", "ramadan")
    assert donation.surface == Donation.Surface.PAGE
    assert donation.source_page_id == donate_page.pk


def test_the_form_records_where_the_donor_came_from(browser, donate_page):
    body = browser.get("/give/?utm_source=fb", HTTP_REFERER="https://www.google.com/search?q=water").content.decode()
    assert re.search(r'name="referrer_class" value="search"', body)
    assert re.search(r'name="utm_source" value="fb"', body)


def test_device_class_from_the_user_agent(donate_page):
    phone = Client(HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36")
    phone.post("/donate/start/", gift_form(donate_page.form_config()))
    assert Donation.objects.get().device_class == "phone"


def test_a_monthly_gift_starts_a_subscription_and_renews(browser, donate_page):
    from django.utils import timezone

    from donations.tasks import sandbox_renewals

    donation, _ = start(browser, donate_page, frequency="monthly", amount="2000")
    pay(browser, donation)
    donation.refresh_from_db()
    recurring = donation.recurring_gift
    assert donation.status == Donation.Status.SUCCEEDED
    assert recurring.status == RecurringGift.Status.ACTIVE
    assert recurring.amount_minor == 2000
    RecurringGift.objects.filter(pk=recurring.pk).update(next_charge_on=timezone.localdate())
    with browser.run_on_commit(execute=True):
        assert sandbox_renewals() == 1
        assert sandbox_renewals() == 0
    renewal = recurring.donations.exclude(pk=donation.pk).get()
    assert (renewal.status, renewal.amount_minor, renewal.surface) == ("succeeded", 2000, "recurring")
    assert len(mail.outbox) == 2


def test_the_upsell_turns_a_one_time_gift_into_a_monthly_one(browser, upsell_page):
    donation, response = start(browser, upsell_page, amount="10000")
    assert response["Location"] == f"/donate/{donation.reference}/monthly/"
    assert "$50.00 each month" in browser.get(response["Location"]).content.decode()
    browser.post(response["Location"], {"choice": "monthly"})
    donation.refresh_from_db()
    assert donation.frequency == "monthly"
    assert donation.amount_minor == 5000
    assert donation.recurring_gift.amount_minor == 5000


def test_declining_the_upsell_keeps_the_gift(browser, upsell_page):
    donation, response = start(browser, upsell_page, amount="10000")
    follow = browser.post(response["Location"], {"choice": "once"})
    assert follow["Location"] == f"/donate/{donation.reference}/pay/"
    donation.refresh_from_db()
    assert (donation.frequency, donation.amount_minor) == ("one_time", 10000)


def test_tribute_notice_is_sent_without_the_amount(browser, donate_page):
    donation, _ = start(
        browser,
        donate_page,
        tribute="memory",
        tribute_name="Layla",
        tribute_notify_name="Sami",
        tribute_notify_email="sami@example.org",
        anonymous="on",
        message="She loved the river.",
    )
    pay(browser, donation)
    notice = next(message for message in mail.outbox if message.to == ["sami@example.org"])
    assert notice.subject == "A gift in memory of Layla"
    assert "A supporter has made a gift in memory of Layla" in notice.body
    assert "Huda" not in notice.body and "$" not in notice.body
    assert "She loved the river." in notice.body


def test_a_fund_or_the_page_is_the_designation(browser, donate_page, zakat_fund):
    from donations.pages import DonatePage
    from tests.conftest import publish
    from tests.donations.conftest import FORM

    page = DonatePage(title="Zakat", slug="zakat", form=[("donate", {**FORM, "fund": str(zakat_fund.pk)})])
    donate_page.add_child(instance=page)
    publish(page)
    donation, _ = start(browser, page)
    assert donation.fund == zakat_fund and donation.designation_page is None
    # A donate page inside another page (its campaign) gives to that page.
    other, _ = start(browser, donate_page)
    assert other.designation_page is None  # the donate page sits directly under home


def test_a_donate_block_on_any_page(browser, site_tree):
    from tests.donations.conftest import FORM

    about = site_tree.about
    about.body = [("donate", FORM)]
    about.save_revision().publish()
    body = browser.get("/about/").content.decode()
    assert 'action="/donate/start/"' in body
    block = about.body[0]
    config = block.block.form_config(block.value, page=about)
    response = browser.post("/donate/start/", gift_form(config))
    donation = Donation.objects.get()
    assert response["Location"] == f"/donate/{donation.reference}/pay/"
    assert (donation.surface, donation.designation_page_id) == ("block", about.pk)
    # Errors come back on a page of their own, with the donor's input kept.
    bad = browser.post("/donate/start/", gift_form(config, email="nope", name="Kept Name"))
    assert "There is a problem" in bad.content.decode() and 'value="Kept Name"' in bad.content.decode()


def test_the_donate_page_in_arabic(browser, donate_page, site_tree):
    arabic = translate(donate_page, site_tree.arabic, title="تبرّع")
    body = browser.get(arabic.url).content.decode()
    assert 'dir="rtl"' in body
    assert "وضع الاختبار" in body
    assert "متابعة إلى الدفع" in body
    response = browser.post("/ar/donate/start/", gift_form(arabic.specific.form_config(), name="هدى حداد"))
    donation = Donation.objects.get()
    assert donation.language == "ar"
    pay(browser, donation)
    assert mail.outbox[0].subject.startswith("[اختبار]")
    assert "هدى حداد" in mail.outbox[0].body
    assert response.status_code == 302
