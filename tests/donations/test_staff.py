"""Staff in the Wagtail admin: the gifts list, a gift's timeline, refunds, offline gifts, permissions."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from donations.gateways.sandbox import SandboxGateway, find_test_card
from donations.models import Donation, DonationEvent, RefundRequest
from donations.services import GiftRequest, donation_start, payment_prepare

pytestmark = pytest.mark.django_db
GIFTS = "/admin/donations/gifts/"


@pytest.fixture
def paid_gift(django_capture_on_commit_callbacks):
    def make(email: str = "huda@example.org", amount: int = 5000, currency: str = "USD", frequency: str = "one_time"):
        with django_capture_on_commit_callbacks(execute=True):
            gift, _ = donation_start(
                gift=GiftRequest(
                    attempt_id=uuid.uuid4(),
                    amount_minor=amount,
                    currency=currency,
                    frequency=frequency,
                    name="Huda Haddad",
                    email=email,
                )
            )
            gift = payment_prepare(donation=gift)
            SandboxGateway().pay(gift, find_test_card("4242424242424242"))
        gift.refresh_from_db()
        return gift

    return make


@pytest.fixture
def refund(staff_client, django_capture_on_commit_callbacks):
    def post(gift: Donation, amount: str, reason: str = "Donor asked", request_id: str | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return staff_client.post(
                f"/admin/donations/staff/{gift.pk}/refund/",
                {"amount": amount, "reason": reason, "request_id": request_id or str(uuid.uuid4())},
            )

    return post


def test_the_gifts_list_shows_and_filters(staff_client, paid_gift):
    usd = paid_gift()
    jod = paid_gift(email="omar@example.org", amount=20_000, currency="JOD")
    Donation.objects.filter(pk=jod.pk).update(created_at=timezone.now() - timedelta(days=40))
    body = staff_client.get(GIFTS).content.decode()
    assert usd.short_reference in body and jod.short_reference in body
    assert "$50.00" in body and "JOD20.000" in body

    def listed(**query) -> str:
        return staff_client.get(GIFTS, query).content.decode()

    assert jod.short_reference not in listed(currency="USD")
    assert usd.short_reference not in listed(q="omar@example.org")
    assert usd.short_reference not in listed(status="failed")
    recent = listed(created_at_from=(timezone.localdate() - timedelta(days=7)).isoformat())
    assert usd.short_reference in recent and jod.short_reference not in recent
    assert usd.short_reference in listed(frequency="one_time", surface="page")


def test_a_gift_shows_its_timeline_and_donor(staff_client, paid_gift):
    gift = paid_gift()
    body = staff_client.get(f"{GIFTS}inspect/{gift.pk}/").content.decode()
    for text in ("Timeline", "Gift started", "Payment succeeded", "Confirmation email sent", "huda@example.org",
                 "Visa •••• 4242", "Refund"):  # fmt: skip
        assert text in body


def test_a_partial_then_full_refund(staff_client, paid_gift, refund):
    gift = paid_gift()
    response = refund(gift, "20")
    assert response.status_code == 302
    gift.refresh_from_db()
    assert (gift.status, gift.amount_refunded_minor) == ("partially_refunded", 2000)
    refund(gift, "30")
    gift.refresh_from_db()
    assert (gift.status, gift.amount_refunded_minor) == ("refunded", 5000)
    assert list(gift.events.filter(kind="refunded").values_list("amount_minor", flat=True)) == [2000, 3000]
    requested = gift.events.filter(kind="refund_requested").first()
    assert requested.actor.username == "editor" and requested.detail["reason"] == "Donor asked"


def test_a_resubmitted_refund_form_refunds_once(staff_client, paid_gift, refund):
    gift = paid_gift()
    request_id = str(uuid.uuid4())
    refund(gift, "10", request_id=request_id)
    refund(gift, "10", request_id=request_id)
    gift.refresh_from_db()
    assert gift.amount_refunded_minor == 1000
    assert RefundRequest.objects.count() == 1


@pytest.mark.parametrize(("amount", "reason", "message"), [("60", "x", "You can refund up to $50.00."),
                                                            ("0", "x", "Enter an amount greater than zero."),
                                                            ("10", "", "This field is required.")])  # fmt: skip
def test_a_refund_that_cannot_be_made_says_why(staff_client, paid_gift, refund, amount, reason, message):
    gift = paid_gift()
    response = refund(gift, amount, reason=reason)
    assert response.status_code == 200
    assert message in response.content.decode()
    gift.refresh_from_db()
    assert gift.amount_refunded_minor == 0


def pdf(name: str = "cheque.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% a cheque scan\n", content_type="application/pdf")


def offline(staff_client, **overrides):
    data = {
        "request_id": str(uuid.uuid4()),
        "name": "Abu Omar",
        "email": "abu.omar@example.org",
        "amount": "250",
        "currency": "JOD",
        "method": "cheque",
        "received_on": timezone.localdate().isoformat(),
        "reference": "CHQ-00912",
        "evidence": pdf(),
    }
    data.update(overrides)
    return staff_client.post("/admin/donations/staff/offline/new/", data)


def test_staff_record_an_offline_gift_with_evidence(staff_client, settings):
    response = offline(staff_client)
    assert response.status_code == 302
    gift = Donation.objects.get()
    assert (gift.gateway, gift.status, gift.amount_minor, gift.currency) == ("offline", "succeeded", 250_000, "JOD")
    assert (gift.offline_method, gift.offline_reference, gift.recorded_by.username) == ("cheque", "CHQ-00912", "editor")
    event = DonationEvent.objects.get(kind="offline_recorded")
    assert event.amount_minor == 250_000 and event.actor.username == "editor"
    # Evidence is private: not under the public media folder, only behind a permission check.
    assert str(settings.PRIVATE_MEDIA_ROOT) in gift.evidence.path
    assert str(settings.MEDIA_ROOT) not in gift.evidence.path
    download = staff_client.get(f"/admin/donations/staff/{gift.pk}/evidence/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_resubmitted_offline_form_records_once(staff_client):
    request_id = str(uuid.uuid4())
    offline(staff_client, request_id=request_id)
    offline(staff_client, request_id=request_id, evidence=pdf("again.pdf"))
    assert Donation.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"evidence": SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/pdf")},
         "Upload a PDF, PNG or JPEG file."),
        ({"received_on": (timezone.localdate() + timedelta(days=2)).isoformat()}, "cannot be in the future"),
        ({"amount": "12.3456"}, "at most 3 decimal places"),
        ({"currency": "XBT"}, "Select a valid choice"),
    ],
)  # fmt: skip
def test_a_bad_offline_gift_is_refused(staff_client, overrides, message):
    response = offline(staff_client, **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Donation.objects.exists()


def test_gifts_are_never_edited_or_deleted_in_the_admin(staff_client, paid_gift):
    gift = paid_gift()
    assert "/edit/" not in staff_client.get(GIFTS).content.decode()
    for url in (f"{GIFTS}edit/{gift.pk}/", f"{GIFTS}delete/{gift.pk}/", f"{GIFTS}new/"):
        response = staff_client.get(url)
        assert response.status_code in (302, 403), url
    assert Donation.objects.filter(pk=gift.pk).exists()


def test_staff_without_the_donations_permission_see_no_donors(client, django_user_model, paid_gift):
    gift = paid_gift()
    editor = django_user_model.objects.create_user("pages-editor", password="x" * 20, is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    for url in (GIFTS, f"{GIFTS}inspect/{gift.pk}/", f"/admin/donations/staff/{gift.pk}/refund/",
                f"/admin/donations/staff/{gift.pk}/evidence/", "/admin/donations/staff/offline/new/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert b"huda@example.org" not in response.content


def test_viewing_gifts_does_not_allow_refunding(client, django_user_model, paid_gift):
    gift = paid_gift()
    viewer = django_user_model.objects.create_user("viewer", password="x" * 20, is_staff=True)
    group = Group.objects.create(name="Gift viewers")
    group.permissions.add(Permission.objects.get(codename="access_admin"),
                          Permission.objects.get(codename="view_donation"))  # fmt: skip
    viewer.groups.add(group)
    client.force_login(viewer)
    assert b"huda@example.org" in client.get(f"{GIFTS}inspect/{gift.pk}/").content
    # Wagtail answers a refused admin view with a redirect to the dashboard and a message.
    assert client.get(f"/admin/donations/staff/{gift.pk}/refund/")["Location"] == "/admin/"
    response = client.post(f"/admin/donations/staff/{gift.pk}/refund/",
                           {"amount": "10", "reason": "x", "request_id": str(uuid.uuid4())})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/admin/"
    gift.refresh_from_db()
    assert gift.amount_refunded_minor == 0
