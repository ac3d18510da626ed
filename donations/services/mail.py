"""Emails to a supporter about their monthly gifts and cards, in the supporter's language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from supporters.models import Supporter


def site_url(path: str) -> str:
    """An absolute link for an email (``BASE_URL`` plus the path)."""
    return settings.BASE_URL + path


def supporter_email_send(*, supporter: Supporter, template: str, context: dict[str, Any]) -> None:
    """Render donations/email/<template>{_subject.txt,.txt,.html} in the supporter's language and send it.

    Nothing is sent to an erased supporter (a task queued before the erasure may run after it)."""
    from donations.services.notifications import _organisation
    from supporters.privacy import is_erased_email

    if is_erased_email(supporter.email):
        return

    language = supporter.language or settings.LANGUAGE_CODE
    with translation.override(language):
        full = {
            **context,
            "supporter": supporter,
            "organisation": _organisation(),
            "direction": "rtl" if translation.get_language_bidi() else "ltr",
            "language": language,
            "portal_url": site_url(reverse("portal:gifts")),
        }
        subject = " ".join(render_to_string(f"donations/email/{template}_subject.txt", full).split())
        text = render_to_string(f"donations/email/{template}.txt", full)
        html = render_to_string(f"donations/email/{template}.html", full)
    message = EmailMultiAlternatives(subject, text, to=[supporter.email])
    message.attach_alternative(html, "text/html")
    message.send()
