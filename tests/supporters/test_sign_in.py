"""Passwordless sign-in as a supporter would meet it: ask for a link, open it, press the button."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from supporters.auth import SESSION_KEY
from supporters.models import SignInLink, Supporter

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/(?:ar/)?account/sign-in/([A-Za-z0-9_-]+)/)")


def ask_for_link(client: Client, email: str, next_path: str = "", **extra: str):
    data = {"email": email, "website": ""}
    if next_path:
        data["next"] = next_path
    # The request's transaction commits here, and the task it queued runs (eagerly) as it would after a commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("supporters:sign_in"), data, **extra)


def link_from_last_email() -> tuple[str, str]:
    body = mail.outbox[-1].body
    found = LINK.search(body)
    assert found, body
    return found.group(1), found.group(2)


def sign_in(client: Client, email: str, next_path: str = ""):
    ask_for_link(client, email, next_path)
    path, _token = link_from_last_email()
    return client.post(path)


def test_asking_for_a_link_emails_one_that_opens_a_page_with_a_button(client, site_tree):
    response = ask_for_link(client, "Huda@Example.org ")
    assert response.status_code == 302
    assert response["Location"] == reverse("supporters:sign_in_sent")
    page = client.get(response["Location"])
    assert "If that address is one we can write to, we have sent it a sign-in link." in page.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["huda@example.org"]
    path, token = link_from_last_email()
    # Only a hash is stored: the token itself is nowhere in the database.
    link = SignInLink.objects.get()
    assert token not in (link.selector + link.verifier_hash) and link.verifier_hash != token[12:]
    opened = client.get(path)
    assert opened.status_code == 200
    assert opened["Referrer-Policy"] == "same-origin" and "no-store" in opened["Cache-Control"]
    assert b'<form method="post"' in opened.content and b"Sign in" in opened.content
    # Opening the link (as a mail scanner would) signs nobody in and uses nothing up.
    assert SESSION_KEY not in client.session
    assert Supporter.objects.count() == 0
    assert SignInLink.objects.get().used_at is None


def test_pressing_the_button_signs_in_once_and_creates_the_verified_supporter(client, site_tree):
    ask_for_link(client, "new.person@example.org")
    path, _token = link_from_last_email()
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("supporters:account")
    supporter = Supporter.objects.get(email="new.person@example.org")
    assert supporter.email_verified_at is not None
    account = client.get(reverse("supporters:account"))
    assert account.status_code == 200
    assert "You are signed in as new.person@example.org." in account.content.decode()

    # The same link a second time, in another browser: the neutral answer, nobody signed in.
    other = Client()
    again = other.post(path)
    assert again.status_code == 400
    assert "This link does not work" in again.content.decode()
    assert other.get(reverse("supporters:account")).status_code == 302
    assert Supporter.objects.count() == 1


def test_a_link_expires_after_fifteen_minutes(client, site_tree):
    ask_for_link(client, "late@example.org")
    path, _token = link_from_last_email()
    link = SignInLink.objects.get()
    assert abs((link.expires_at - link.created_at) - timedelta(minutes=15)) < timedelta(seconds=1)
    SignInLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(path).status_code == 400
    response = client.post(path)
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert not Supporter.objects.exists()


def test_a_link_just_inside_fifteen_minutes_still_works(client, site_tree):
    ask_for_link(client, "quick@example.org")
    path, _token = link_from_last_email()
    SignInLink.objects.update(expires_at=timezone.now() + timedelta(seconds=5))
    assert client.post(path).status_code == 302


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the verifier changed
        lambda token: ("A" if token[0] != "A" else "B") + token[1:],  # the selector changed
        lambda token: token[:-2],  # cut short
        lambda token: token + "x",  # too long
    ],
)
def test_a_tampered_token_gets_the_neutral_answer(client, site_tree, tamper):
    ask_for_link(client, "tamper@example.org")
    _path, token = link_from_last_email()
    bad = reverse("supporters:sign_in_confirm", args=[tamper(token)])
    expired_like = client.post(bad)
    assert expired_like.status_code == 400
    assert "This link does not work" in expired_like.content.decode()
    assert SESSION_KEY not in client.session
    assert SignInLink.objects.get().used_at is None


def test_an_unknown_email_gets_the_same_answer_as_a_known_one(site_tree):
    Supporter.objects.create(email="known@example.org", email_verified_at=timezone.now())
    known = ask_for_link(Client(), "known@example.org")
    unknown = ask_for_link(Client(), "stranger@example.org")
    assert (known.status_code, known["Location"], known.content) == (
        unknown.status_code,
        unknown["Location"],
        unknown.content,
    )
    # Both are sent a link by the same task; no Supporter is made for the stranger until the link is used.
    assert sorted(message.to[0] for message in mail.outbox) == ["known@example.org", "stranger@example.org"]
    assert not Supporter.objects.filter(email="stranger@example.org").exists()
    assert SignInLink.objects.get(email="known@example.org").supporter is not None
    assert SignInLink.objects.get(email="stranger@example.org").supporter is None


def test_the_honeypot_gets_the_same_answer_and_sends_nothing(client, site_tree):
    response = client.post(reverse("supporters:sign_in"), {"email": "bot@example.org", "website": "spam"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_a_malformed_address_is_refused_clearly(client, site_tree):
    response = client.post(reverse("supporters:sign_in"), {"email": "not-an-email"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert mail.outbox == []


def test_links_are_rate_limited_per_email(site_tree, settings):
    settings.SUPPORTER_SIGNIN_RATE_PER_EMAIL = "3/h"
    answers = [ask_for_link(Client(REMOTE_ADDR=f"10.0.0.{n}"), "target@example.org").status_code for n in range(5)]
    assert answers == [302, 302, 302, 429, 429]
    assert len(mail.outbox) == 3
    # Another address is not held up by it.
    assert ask_for_link(Client(REMOTE_ADDR="10.0.0.9"), "someone.else@example.org").status_code == 302


def test_links_are_rate_limited_per_address(site_tree, settings):
    settings.SUPPORTER_SIGNIN_RATE_PER_IP = "3/h"
    client = Client(REMOTE_ADDR="192.0.2.7")
    answers = [ask_for_link(client, f"person{n}@example.org").status_code for n in range(5)]
    assert answers == [302, 302, 302, 429, 429]
    assert len(mail.outbox) == 3
    assert ask_for_link(Client(REMOTE_ADDR="192.0.2.8"), "person9@example.org").status_code == 302


def test_sign_out_everywhere_ends_another_browsers_session(site_tree):
    phone, laptop = Client(), Client()
    sign_in(phone, "both@example.org")
    sign_in(laptop, "both@example.org")
    assert phone.get(reverse("supporters:account")).status_code == 200
    assert laptop.get(reverse("supporters:account")).status_code == 200
    response = laptop.post(reverse("supporters:sign_out_everywhere"))
    assert response.status_code == 302
    assert laptop.get(reverse("supporters:account")).status_code == 302
    assert phone.get(reverse("supporters:account")).status_code == 302
    # Signing in again afterwards works as before.
    sign_in(phone, "both@example.org")
    assert phone.get(reverse("supporters:account")).status_code == 200


def test_sign_out_ends_only_this_browser(site_tree):
    phone, laptop = Client(), Client()
    sign_in(phone, "one@example.org")
    sign_in(laptop, "one@example.org")
    laptop.post(reverse("supporters:sign_out"))
    assert laptop.get(reverse("supporters:account")).status_code == 302
    assert phone.get(reverse("supporters:account")).status_code == 200


def test_a_session_ends_after_supporter_session_seconds(client, site_tree, settings):
    sign_in(client, "brief@example.org")
    assert client.get(reverse("supporters:account")).status_code == 200
    settings.SUPPORTER_SESSION_SECONDS = 300
    from django.core import signing

    # A session value signed longer ago than the limit no longer counts.
    session = client.session
    data = signing.loads(session[SESSION_KEY], salt="supporters.session")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: timezone.now().timestamp() - 301)
        session[SESSION_KEY] = signing.dumps(data, salt="supporters.session")
    session.save()
    assert client.get(reverse("supporters:account")).status_code == 302


def test_the_account_page_sends_to_sign_in_with_a_safe_next(client, site_tree):
    response = client.get(reverse("supporters:account"))
    assert response.status_code == 302
    assert response["Location"] == reverse("supporters:sign_in") + "?next=%2Faccount%2F"


def test_next_brings_the_supporter_back_after_signing_in(client, site_tree):
    response = sign_in(client, "back@example.org", next_path="/act/proposals/new/")
    assert response["Location"] == "/act/proposals/new/"


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x=1",
        " //evil.example",
    ],
)
def test_open_redirects_in_next_are_refused(client, site_tree, next_path):
    page = client.get(reverse("supporters:sign_in"), {"next": next_path})
    assert re.search(r'<input type="hidden" name="next"[^>]*>', page.content.decode()).group(0).find("evil") == -1
    response = sign_in(client, "careful@example.org", next_path=next_path)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc) == ("", "")
    assert location.path.startswith("/") and not location.path.startswith(("//", "/\\"))
    # Every attempt to leave the site lands on the account page; an odd but local path is kept as it is.
    local = next_path == "/%0d%0aSet-Cookie:x=1"
    assert response["Location"] == (next_path if local else reverse("supporters:account"))


def test_the_link_and_pages_are_in_arabic_for_an_arabic_request(client, site_tree):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/ar/account/sign-in/", {"email": "arabic@example.org"})
    assert response["Location"] == "/ar/account/sign-in/sent/"
    path, _token = link_from_last_email()
    assert path.startswith("/ar/account/sign-in/")
    assert "رابط" in mail.outbox[0].subject
    page = client.get(path)
    assert 'dir="rtl"' in page.content.decode()
    client.post(path)
    assert Supporter.objects.get(email="arabic@example.org").language == "ar"


def test_the_task_sends_one_link_per_request_however_often_it_runs(site_tree):
    import uuid

    from supporters.tasks import sign_in_link_send

    request_id = str(uuid.uuid4())
    assert sign_in_link_send("twice@example.org", "en", "", request_id) is True
    assert sign_in_link_send("twice@example.org", "en", "", request_id) is False
    assert len(mail.outbox) == 1
    assert SignInLink.objects.count() == 1


def test_old_links_are_purged(site_tree):
    from supporters.signin import sign_in_link_create, sign_in_links_purge

    sign_in_link_create(email="old@example.org")
    sign_in_link_create(email="fresh@example.org")
    SignInLink.objects.filter(email="old@example.org").update(expires_at=timezone.now() - timedelta(days=8))
    assert sign_in_links_purge() == 1
    assert list(SignInLink.objects.values_list("email", flat=True)) == ["fresh@example.org"]
