"""Monthly gifts in the portal (sandbox gateway): amount, day, pause, resume, cancel; idempotent, emailed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.utils import timezone

from donations.models import DonationEvent, RecurringGift, WebhookEvent
from donations.tasks import sandbox_renewals
from supporters.models import Supporter
from tests.donations.portal_helpers import give_monthly, request_id_from, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def gift(browser, donate_page) -> RecurringGift:
    recurring = give_monthly(browser, donate_page, amount="2000")
    sign_in(browser)
    mail.outbox.clear()
    return recurring


def manage(browser, gift) -> str:
    return browser.get(f"/account/gifts/monthly/{gift.reference}/").content.decode()


def post_form(browser, gift, action: str, data: dict):
    path = f"/account/gifts/monthly/{gift.reference}/{action}/"
    page = manage(browser, gift) if action != "cancel" else browser.get(path).content.decode()
    return browser.post(path, {**data, "request_id": request_id_from(page, path)}), path


def test_the_manage_page_shows_the_gift_and_its_forms(browser, gift):
    body = manage(browser, gift)
    assert "Your monthly gift of $20.00" in body
    for text in ("Change the amount", "Change the day", "Pause my gift", "Cancel my monthly gift", "visa •••• 4242"):
        assert text in body


def test_changing_the_amount_goes_through_the_gateway_once_and_is_confirmed(browser, gift):
    response, path = post_form(browser, gift, "amount", {"amount": "35"})
    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.amount_minor == 3500
    assert gift.price_id.startswith("price_sbx_")
    event = gift.events.get(kind=DonationEvent.Kind.AMOUNT_CHANGED)
    assert (event.detail["before"], event.detail["after"]) == (2000, 3500)
    # The sandbox told the rest of the system as Stripe would: a customer.subscription.updated event.
    assert WebhookEvent.objects.filter(event_type="customer.subscription.updated", status="processed").exists()
    assert [m.subject for m in mail.outbox] == ["Your monthly gift has changed"]
    assert "is now $35.00" in mail.outbox[0].body
    # The same form again (a double click, a retried request): nothing changes twice.
    request_id = event.key.removeprefix("portal:")
    browser.post(path, {"amount": "50", "request_id": request_id})
    gift.refresh_from_db()
    assert gift.amount_minor == 3500 and gift.events.filter(kind=DonationEvent.Kind.AMOUNT_CHANGED).count() == 1
    assert len(mail.outbox) == 1
    # The next month is charged the new amount.
    RecurringGift.objects.filter(pk=gift.pk).update(next_charge_on=timezone.localdate())
    with browser.run_on_commit(execute=True):
        assert sandbox_renewals() == 1
    assert gift.donations.order_by("-pk").first().amount_minor == 3500


def test_a_bad_amount_shows_an_error_summary_and_changes_nothing(browser, gift):
    response, _path = post_form(browser, gift, "amount", {"amount": "0.10"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and "The smallest online gift is $1.00." in body
    gift.refresh_from_db()
    assert gift.amount_minor == 2000 and not mail.outbox


def test_changing_the_day(browser, gift):
    response, _path = post_form(browser, gift, "day", {"day": "15"})
    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.day_of_month == 15 and gift.next_charge_on.day == 15
    assert gift.next_charge_on > timezone.localdate()
    assert "day 15 of each month" in mail.outbox[-1].body
    assert post_form(browser, gift, "day", {"day": "29"})[0].status_code == 400  # 1 to 28 only


def test_pausing_skips_months_and_resuming_brings_them_back(browser, gift):
    scheduled = gift.next_charge_on
    assert post_form(browser, gift, "pause", {"months": "4"})[0].status_code == 400  # 1 to 3 months
    response, path = post_form(browser, gift, "pause", {"months": "2"})
    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.status == RecurringGift.Status.PAUSED
    assert gift.paused_until == scheduled + relativedelta(months=2) == gift.next_charge_on
    assert [m.subject for m in mail.outbox] == ["Your monthly gift is paused"]
    body = manage(browser, gift)
    assert "Resume my gift" in body and "starts again on" in body
    # Nothing is taken while paused, even when the old day comes round.
    with browser.run_on_commit(execute=True):
        assert sandbox_renewals() == 0
    # A double POST of the pause changes nothing twice.
    event = gift.events.get(kind=DonationEvent.Kind.PAUSED)
    browser.post(path, {"months": "3", "request_id": event.key.removeprefix("portal:")})
    gift.refresh_from_db()
    assert gift.paused_until == scheduled + relativedelta(months=2)

    response, _path = post_form(browser, gift, "resume", {})
    gift.refresh_from_db()
    assert gift.status == RecurringGift.Status.ACTIVE and gift.paused_until is None
    assert gift.next_charge_on == scheduled
    assert mail.outbox[-1].subject == "Your monthly gift has changed"
    assert "is active again" in mail.outbox[-1].body


def test_a_pause_ends_by_itself(browser, gift):
    post_form(browser, gift, "pause", {"months": "1"})
    gift.refresh_from_db()
    resume_on = gift.paused_until
    RecurringGift.objects.filter(pk=gift.pk).update(
        paused_until=timezone.localdate(), next_charge_on=timezone.localdate()
    )
    with browser.run_on_commit(execute=True):
        assert sandbox_renewals() == 1
    gift.refresh_from_db()
    assert gift.status == RecurringGift.Status.ACTIVE and gift.paused_until is None
    assert gift.donations.count() == 2
    assert resume_on > timezone.localdate()


def test_the_cancel_page_offers_a_pause_first_but_never_blocks(browser, gift):
    path = f"/account/gifts/monthly/{gift.reference}/cancel/"
    page = browser.get(path).content.decode()
    assert "Would a break help instead?" in page
    assert f'action="/account/gifts/monthly/{gift.reference}/pause/"' in page
    response = browser.post(path, {"request_id": request_id_from(page, path), "reason": "Money is tight"})
    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.status == RecurringGift.Status.CANCELED and gift.canceled_at is not None
    event = gift.events.get(kind=DonationEvent.Kind.CANCELED_BY_DONOR)
    assert event.detail["reason"] == "Money is tight"
    assert [m.subject for m in mail.outbox] == ["Your monthly gift is canceled"]
    # The sandbox ended the subscription as Stripe would (customer.subscription.deleted).
    assert WebhookEvent.objects.filter(event_type="customer.subscription.deleted", status="processed").exists()
    with browser.run_on_commit(execute=True):
        RecurringGift.objects.filter(pk=gift.pk).update(next_charge_on=timezone.localdate() - timedelta(days=1))
        assert sandbox_renewals() == 0
    # Canceled gifts have no manage actions any more; cancelling again changes nothing.
    again = browser.post(path, {"request_id": request_id_from(page, path)})
    assert again.status_code == 302 and len(mail.outbox) == 1


def test_confirmation_emails_are_in_the_supporters_language(browser, gift):
    Supporter.objects.filter(pk=gift.supporter_id).update(language="ar")
    post_form(browser, gift, "amount", {"amount": "30"})
    message = mail.outbox[-1]
    html = message.alternatives[0][0]
    assert 'lang="ar"' in html and 'dir="rtl"' in html
    assert "/ar/account/gifts/" in message.body
