"""Signing a petition: pending until the emailed link is confirmed with a POST; one per person."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.petitions.models import PetitionPage, Signature
from campaigns.petitions.services import signatures_expire, signatures_fold
from campaigns.petitions.tasks import petitions_expire
from tests.campaigns.petition_fixtures import *  # noqa: F403
from tests.campaigns.petition_fixtures import confirm_link_from_outbox, mails_drain, sign

FORM = {"name": "Maya Haddad", "email": "Maya@Example.org", "country": "JO", "city": "Amman", "public": "on"}


def sign_url(page: PetitionPage, lang: str = "") -> str:
    return f"{'/ar' if lang == 'ar' else ''}/act/petitions/{page.pk}/sign/"


def test_the_form_signs_and_says_check_your_email(client, petition):
    response = client.post(sign_url(petition), FORM, follow=True)
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert signature.email_canonical == "maya@example.org"
    assert signature.region == "Amman"
    assert signature.source == Signature.Source.FORM
    assert mail.outbox == []  # batched: the mailer sends it
    assert mails_drain() == 1
    assert "Confirm your signature" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["Maya@Example.org"]


def test_a_get_of_the_confirmation_link_does_not_confirm(client, petition):
    sign(petition)
    mails_drain()
    path = urlsplit(confirm_link_from_outbox()).path
    response = client.get(path)
    assert response.status_code == 200
    assert "Confirm my signature" in response.content.decode()
    assert Signature.objects.get().status == Signature.Status.PENDING
    response = client.post(path)
    assert response.status_code == 200
    assert "your signature counts" in response.content.decode()
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.supporter.email == "signer0@example.org"
    topics = {c.topic: c.granted for c in signature.supporter.consents.all()}
    assert topics == {"public_display": True, "email_updates": True}
    assert set(signature.supporter.consents.values_list("wording_version", flat=True)) == {"petition-2026-12"}
    # Confirming twice changes nothing.
    assert client.post(path).status_code == 200
    assert signature.supporter.consents.count() == 2


def test_a_tampered_link_confirms_nothing(client, petition):
    sign(petition)
    mails_drain()
    path = urlsplit(confirm_link_from_outbox()).path
    bad = path[:-3] + ("0" if path[-3] != "0" else "1") + path[-2:]
    assert client.post(bad).status_code == 404
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_signing_again_reveals_nothing_but_the_email_says_already_signed(client, petition):
    first = client.post(sign_url(petition), FORM)
    sign_again = client.post(sign_url(petition), {**FORM, "email": "maya@EXAMPLE.org"})
    assert first.status_code == sign_again.status_code == 302
    assert first["Location"] == sign_again["Location"]
    assert Signature.objects.count() == 1
    mails_drain()
    assert len(mail.outbox) == 1  # the second attempt was within the resend window
    client.post(urlsplit(confirm_link_from_outbox()).path)
    Signature.objects.update(email_sent_at=timezone.now() - datetime.timedelta(hours=1))
    again = client.post(sign_url(petition), FORM)
    assert again["Location"] == first["Location"]
    mails_drain()
    assert len(mail.outbox) == 2
    assert "already signed" in mail.outbox[-1].subject
    assert "/confirm/" not in mail.outbox[-1].body
    assert Signature.objects.count() == 1


def test_form_errors_are_listed_and_nothing_is_stored(client, petition):
    response = client.post(sign_url(petition), {"name": "", "email": "not-an-email", "country": "XX"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Enter a valid email address." in body
    assert Signature.objects.count() == 0


def test_the_honeypot_stores_nothing_but_answers_like_success(client, petition):
    response = client.post(sign_url(petition), {**FORM, "website": "http://spam.example"})
    assert response.status_code == 302
    assert Signature.objects.count() == 0


def test_a_disposable_domain_is_refused(client, petition):
    response = client.post(sign_url(petition), {**FORM, "email": "x@mailinator.com"})
    assert response.status_code == 400
    assert "throwaway addresses cannot sign" in response.content.decode()
    response = client.post(sign_url(petition), {**FORM, "email": "x@eu.mailinator.com"})
    assert response.status_code == 400
    assert Signature.objects.count() == 0


def test_staff_can_add_a_disposable_domain(client, petition):
    from campaigns.petitions.models import DisposableDomain

    assert client.post(sign_url(petition), {**FORM, "email": "a@burner.example"}).status_code == 302
    DisposableDomain.objects.create(domain="Burner.Example")
    response = client.post(sign_url(petition), {**FORM, "email": "b@burner.example"})
    assert response.status_code == 400


def test_the_rate_limit_refuses_with_a_clear_message(client, petition, settings):
    settings.PETITION_RATE_IP_BURST = "3/60"
    for n in range(3):
        assert client.post(sign_url(petition), {**FORM, "email": f"p{n}@example.org"}).status_code == 302
    response = client.post(sign_url(petition), {**FORM, "email": "p9@example.org"})
    assert response.status_code == 429
    assert "Too many signatures from your network" in response.content.decode()
    assert Signature.objects.count() == 3


def test_the_domain_rate_limit_spares_big_providers(client, petition, settings):
    settings.PETITION_RATE_IP_BURST = "0/60"
    settings.PETITION_RATE_DOMAIN_BURST = "2/60"
    for n in range(2):
        sign(petition, n, email=f"p{n}@smallorg.example")
    from campaigns.petitions.services import SigningRefused

    with pytest.raises(SigningRefused) as refused:
        sign(petition, 5, email="p5@smallorg.example")
    assert refused.value.code == "rate_limited"
    for n in range(4):
        sign(petition, 10 + n, email=f"p{n}@gmail.com")
    assert Signature.objects.filter(email_domain="gmail.com").count() == 4


def test_a_closed_petition_refuses_signatures(client, petition):
    petition.state = PetitionPage.State.CLOSED
    petition.save_revision().publish()
    response = client.post(sign_url(petition), FORM)
    assert response.status_code == 400
    assert "not taking signatures" in response.content.decode()
    assert Signature.objects.count() == 0


def test_a_petition_past_its_closing_date_refuses_signatures(client, petition):
    petition.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    petition.save_revision().publish()
    response = client.post(sign_url(petition), FORM)
    assert response.status_code == 400
    assert Signature.objects.count() == 0
    assert "Closed" in client.get(petition.url).content.decode()


def test_unconfirmed_signatures_expire_and_their_link_stops_working(client, petition, settings):
    settings.PETITION_CONFIRM_DAYS = 3
    sign(petition, 1)
    sign(petition, 2)
    mails_drain()
    path = urlsplit(confirm_link_from_outbox()).path
    Signature.objects.filter(email="signer1@example.org").update(created_at=timezone.now() - datetime.timedelta(days=4))
    assert petitions_expire.delay().get() == 1
    assert signatures_expire() == 0
    assert Signature.objects.get(email="signer1@example.org").status == Signature.Status.EXPIRED
    assert Signature.objects.get(email="signer2@example.org").status == Signature.Status.PENDING
    # The newest mail is signer 2's; signer 1's expired link says so.
    expired = Signature.objects.get(email="signer1@example.org")
    from campaigns.petitions.services import signature_confirm_path

    response = client.post(signature_confirm_path(expired))
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert client.post(path).status_code == 200
    # The person can sign again after expiry.
    sign(petition, 1)
    assert Signature.objects.filter(email="signer1@example.org").count() == 2
    signatures_fold()


def test_the_arabic_form_signs_in_arabic(client, petition_ar):
    response = client.post(sign_url(petition_ar, "ar"), {**FORM, "email": "layla@example.org"}, follow=True)
    assert response.status_code == 200
    assert 'dir="rtl"' in response.content.decode()
    signature = Signature.objects.get()
    assert signature.language == "ar"
    assert signature.petition_id == petition_ar.canonical.pk != petition_ar.pk
    mails_drain()
    assert "/ar/act/petitions/confirm/" in mail.outbox[0].body


def test_english_and_arabic_pages_are_one_petition(client, petition, petition_ar):
    sign(petition, 1, email="same@example.org", language="en")
    sign(petition_ar, 2, email="SAME@example.org", language="ar")
    assert Signature.objects.count() == 1


def test_a_failed_mail_batch_is_sent_again(petition, settings):
    sign(petition, 1)
    settings.EMAIL_BACKEND = "tests.campaigns.test_petitions_signing.BrokenMailServer"
    with pytest.raises(ConnectionRefusedError):
        mails_drain()
    assert Signature.objects.get().email_sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mails_drain() == 1
    assert mails_drain() == 0


class BrokenMailServer:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


def test_the_mailer_carries_on_past_signatures_that_need_no_mail(petition, staff_user):
    from campaigns.petitions.services import signature_mails_send, signatures_invalidate

    for n in range(3):
        sign(petition, n, ip="203.0.113.7")
    signatures_invalidate(petition=petition, ip="203.0.113.7", user=staff_user, reason="bots")
    sign(petition, 9, ip="198.51.100.9")
    assert signature_mails_send(limit=3) == 3  # three invalidated: handled, no mail
    assert mail.outbox == []
    assert signature_mails_send(limit=3) == 1
    assert [m.to for m in mail.outbox] == [["signer9@example.org"]]
    assert signature_mails_send(limit=3) == 0
