"""The signed link in dunning emails that opens the update-card page, with or without signing in.

It names the supporter and their session generation, so "sign out everywhere"
also ends every such link. It is good for ``PORTAL_CARD_LINK_DAYS`` and only
opens the update-card page: it shows no gifts and changes nothing else.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from supporters.models import Supporter

_SALT = "donations.portal.card-update"


def card_update_token(supporter: Supporter) -> str:
    return signing.dumps({"s": supporter.pk, "g": supporter.session_generation}, salt=_SALT, compress=True)


def card_update_supporter(token: str) -> Supporter | None:
    """The supporter a card-update link was made for, or None (expired, tampered with, signed out everywhere)."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.PORTAL_CARD_LINK_DAYS * 86_400)
        supporter = Supporter.objects.filter(pk=int(data["s"])).first()
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if supporter is None or supporter.session_generation != int(data["g"]):
        return None
    return supporter
