"""Share links that load nothing from anyone: plain links to each network's share URL."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.http import HttpRequest
from django.utils.translation import gettext as _
from wagtail.models import Page


def share_links(*, page: Page, request: HttpRequest | None = None) -> list[dict[str, str]]:
    url = (page.get_full_url(request) if request is not None else page.full_url) or ""
    text = page.summary or page.title
    message = f"{page.title}: {url}"
    return [
        {
            "network": "email",
            "label": _("Email"),
            "href": f"mailto:?subject={quote(page.title)}&body={quote(text + chr(10) + chr(10) + url)}",
        },
        {"network": "whatsapp", "label": _("WhatsApp"), "href": "https://wa.me/?" + urlencode({"text": message})},
        {
            "network": "x",
            "label": _("X (Twitter)"),
            "href": "https://twitter.com/intent/tweet?" + urlencode({"text": page.title, "url": url}),
        },
        {
            "network": "facebook",
            "label": _("Facebook"),
            "href": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        },
    ]
