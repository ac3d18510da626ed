"""Where a signature comes from, below its country: the region its tallies use.

The region is derived once, when signing, in one place: the postcode's
district when a postcode is given (the outward code of a UK postcode, the
first three characters of a US ZIP code, otherwise the part before a space or
hyphen, at most eight characters), else the city as typed (trimmed, spaces
collapsed, title-cased for Latin script). Empty when neither is given.
"""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")

REGION_MAX = 80


def postcode_district(country: str, postcode: str) -> str:
    code = _SPACES.sub(" ", postcode.strip().upper())
    if not code:
        return ""
    if country == "GB":
        compact = code.replace(" ", "")
        # The inward code is always the last three characters.
        return compact[:-3] if len(compact) > 4 else compact
    if country == "US":
        return code[:3]
    return re.split(r"[ \-]", code, maxsplit=1)[0][:8]


def region_for(*, country: str, postcode: str = "", city: str = "") -> str:
    district = postcode_district(country, postcode)
    if district:
        return district[:REGION_MAX]
    name = _SPACES.sub(" ", city.strip())
    if name.isascii():
        name = name.title()
    return name[:REGION_MAX]
