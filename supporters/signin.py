"""Passwordless sign-in: magic links sent by email.

A link is ``<selector><verifier>``: the selector finds the row, the verifier is
checked against its keyed hash in constant time. Only the hash is stored, so a
copy of the database cannot sign anyone in. A link works once, within
``SUPPORTER_SIGNIN_LINK_SECONDS`` (15 minutes by default), and only by POST from
the page it opens, so a mail scanner that fetches links cannot use it up.

Known and unknown addresses are treated alike: a link is made and sent by a
Celery task in both cases, and a person new to us becomes a Supporter only
when they use the link (the address waits in the link's row until then).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from supporters.models import SignInLink, Supporter
from supporters.services import email_normalize, supporter_for_email

SELECTOR_LENGTH = 12  # characters of token_urlsafe(9)
VERIFIER_LENGTH = 43  # characters of token_urlsafe(32)
TOKEN_LENGTH = SELECTOR_LENGTH + VERIFIER_LENGTH
_HASH_SALT = "supporters.signin.verifier"
# Compared against when a selector is unknown, so a miss costs what a hit costs.
_DUMMY_HASH = "0" * 64


def _verifier_hash(verifier: str) -> str:
    return salted_hmac(_HASH_SALT, verifier, algorithm="sha256").hexdigest()


def _split(token: str) -> tuple[str, str] | None:
    if not isinstance(token, str) or len(token) != TOKEN_LENGTH:
        return None
    if not all(ch.isalnum() or ch in "-_" for ch in token):
        return None
    return token[:SELECTOR_LENGTH], token[SELECTOR_LENGTH:]


def _usable(link: SignInLink | None, verifier: str) -> bool:
    computed = _verifier_hash(verifier)
    matches = hmac.compare_digest(link.verifier_hash if link else _DUMMY_HASH, computed)
    return link is not None and matches and link.used_at is None and link.expires_at > timezone.now()


def sign_in_link_create(
    *, email: str, language: str = "en", next_path: str = "", request_id: uuid.UUID | None = None
) -> tuple[SignInLink, str] | None:
    """Make a link for this address; returns the row and the token to send (None if this request made one)."""
    address = email_normalize(email)
    request_id = request_id or uuid.uuid4()
    with transaction.atomic():
        if SignInLink.objects.filter(request_id=request_id).exists():
            return None
        # Looked up for every address, known or not: the same work either way.
        supporter = Supporter.objects.filter(email=address).first()
        selector = secrets.token_urlsafe(9)
        verifier = secrets.token_urlsafe(32)
        link = SignInLink.objects.create(
            request_id=request_id,
            selector=selector,
            verifier_hash=_verifier_hash(verifier),
            email=address,
            language=language,
            next_path=next_path[:500],
            expires_at=timezone.now() + timedelta(seconds=settings.SUPPORTER_SIGNIN_LINK_SECONDS),
            supporter=supporter,
        )
    return link, selector + verifier


def sign_in_link_url(*, token: str, language: str) -> str:
    with translation.override(language):
        return settings.BASE_URL + reverse("supporters:sign_in_confirm", args=[token])


def sign_in_link_send(*, email: str, language: str = "en", next_path: str = "", request_id: uuid.UUID) -> bool:
    """Make a link and email it, in the language it was asked for. Safe to run twice: one link per request."""
    made = sign_in_link_create(email=email, language=language, next_path=next_path, request_id=request_id)
    if made is None:
        return False
    link, token = made
    minutes = settings.SUPPORTER_SIGNIN_LINK_SECONDS // 60
    with translation.override(language):
        context = {
            "url": sign_in_link_url(token=token, language=language),
            "minutes": minutes,
            "direction": "rtl" if language.startswith("ar") else "ltr",
            "language": language,
            "site_name": settings.WAGTAIL_SITE_NAME,
        }
        subject = " ".join(render_to_string("supporters/email/sign_in_link_subject.txt", context).split())
        text = render_to_string("supporters/email/sign_in_link.txt", context)
        html = render_to_string("supporters/email/sign_in_link.html", context)
    message = EmailMultiAlternatives(subject, text, to=[link.email])
    message.attach_alternative(html, "text/html")
    message.send()
    return True


def sign_in_link_check(*, token: str) -> SignInLink | None:
    """The link if it can still be used (reads only: opening the page uses nothing up)."""
    parts = _split(token)
    selector, verifier = parts if parts else ("", "")
    link = SignInLink.objects.filter(selector=selector).first() if parts else None
    return link if _usable(link, verifier) else None


def sign_in_link_use(*, token: str) -> Supporter | None:
    """Use a link once: returns its Supporter (created now for a new address, email marked verified), or None
    for a link that is unknown, tampered with, expired or already used."""
    parts = _split(token)
    selector, verifier = parts if parts else ("", "")
    with transaction.atomic():
        link = SignInLink.objects.select_for_update().filter(selector=selector).first() if parts else None
        if not _usable(link, verifier):
            return None
        now = timezone.now()
        supporter = supporter_for_email(email=link.email, language=link.language)
        supporter = Supporter.objects.select_for_update().get(pk=supporter.pk)
        if supporter.email_verified_at is None:
            supporter.email_verified_at = now
            supporter.save(update_fields=["email_verified_at", "updated_at"])
        link.used_at = now
        link.supporter = supporter
        link.save(update_fields=["used_at", "supporter"])
    return supporter


def supporter_sessions_end(*, supporter: Supporter) -> int:
    """Sign this supporter out of every browser: sessions signed with the old generation stop working."""
    with transaction.atomic():
        locked = Supporter.objects.select_for_update().get(pk=supporter.pk)
        locked.session_generation += 1
        locked.save(update_fields=["session_generation", "updated_at"])
    supporter.session_generation = locked.session_generation
    return locked.session_generation


def sign_in_links_purge(*, older_than_days: int = 7) -> int:
    """Delete links that expired long ago (used ones too): nothing in them is needed later."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _detail = SignInLink.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
