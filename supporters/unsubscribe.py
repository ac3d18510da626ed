"""One-click unsubscribe for bulk email (RFC 8058), without a session or a CSRF token.

Every bulk email names its topic and carries ``unsubscribe_headers(...)``:

    List-Unsubscribe: <https://site/account/unsubscribe/<token>/>
    List-Unsubscribe-Post: List-Unsubscribe=One-Click

The token is signed (it names the supporter and the topic) and does not
expire, as RFC 8058 expects of a link in a sent message. A mail provider
POSTs to it; a person opening it gets a page with a confirm button (GET
never unsubscribes, so link scanners change nothing). Unsubscribing records
a withdrawal Consent row for the topic.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation

from supporters.models import Supporter

_SALT = "supporters.unsubscribe"


def unsubscribe_token(*, supporter: Supporter, topic: str) -> str:
    return signing.dumps({"s": supporter.pk, "t": topic}, salt=_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[Supporter, str] | None:
    """The supporter and topic a token names, or None if it was tampered with."""
    from supporters.preferences import TOPIC_KEYS

    try:
        data = signing.loads(token, salt=_SALT)
        supporter = Supporter.objects.filter(pk=int(data["s"])).first()
        topic = str(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if supporter is None or topic not in TOPIC_KEYS:
        return None
    return supporter, topic


def unsubscribe_url(*, supporter: Supporter, topic: str) -> str:
    with translation.override(supporter.language or settings.LANGUAGE_CODE):
        path = reverse("supporters:unsubscribe", args=[unsubscribe_token(supporter=supporter, topic=topic)])
    return settings.BASE_URL + path


def unsubscribe_headers(url: str) -> dict[str, str]:
    """The RFC 8058 headers for a bulk email whose unsubscribe link is ``url``."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
