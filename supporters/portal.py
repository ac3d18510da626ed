"""The supporter portal's sections: other apps add theirs here, so supporters imports none of them.

An app registers a section from its ``AppConfig.ready()``::

    from supporters.portal import PortalSection, portal_section_register

    portal_section_register(PortalSection(key="gifts", order=10, render=my_section))

``render(request, supporter)`` returns the section's HTML for the account page
(usually ``render_to_string`` of a small template with a heading and links),
or "" to show nothing. Sections appear in ``order``; the privacy section
(``key="privacy"``, links under /account/privacy/) goes last by convention.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from supporters.models import Supporter


@dataclass(frozen=True)
class PortalSection:
    key: str
    order: int
    render: Callable[[HttpRequest, Supporter], str]


_SECTIONS: dict[str, PortalSection] = {}


def portal_section_register(section: PortalSection) -> None:
    """Add (or replace, by key) a section of the account page."""
    _SECTIONS[section.key] = section


def portal_sections() -> list[PortalSection]:
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.key))


def portal_sections_render(request: HttpRequest, supporter: Supporter) -> list[tuple[str, SafeString]]:
    """Each registered section's HTML, in order, leaving out the empty ones."""
    rendered = []
    for section in portal_sections():
        html = section.render(request, supporter)
        if html:
            rendered.append((section.key, mark_safe(html)))  # noqa: S308 - rendered from our own templates
    return rendered
