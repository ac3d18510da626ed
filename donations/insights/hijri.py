"""Gregorian dates to Hijri dates.

Dates inside the Umm al-Qura table of the ``hijridate`` package (1343-1500 AH,
1924-2077) use it. Outside that table, the arithmetic (tabular, "Kuwaiti")
Islamic calendar is used, which can differ from Umm al-Qura by a day at a
month's edge. One function decides, so the rollups, the rebuild and the pages
always agree.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _
from hijridate import Gregorian

SHABAN, RAMADAN, DHU_AL_HIJJAH = 8, 9, 12
MARKED_MONTHS = (SHABAN, RAMADAN, DHU_AL_HIJJAH)

MONTH_NAMES = {
    1: _("Muharram"),
    2: _("Safar"),
    3: _("Rabi al-Awwal"),
    4: _("Rabi al-Thani"),
    5: _("Jumada al-Ula"),
    6: _("Jumada al-Akhirah"),
    7: _("Rajab"),
    8: _("Sha'ban"),
    9: _("Ramadan"),
    10: _("Shawwal"),
    11: _("Dhu al-Qadah"),
    12: _("Dhu al-Hijjah"),
}

# 1 Muharram 1 AH in the proleptic Gregorian calendar (16 July 622 Julian).
_EPOCH = date(622, 7, 19).toordinal()


class HijriDate(NamedTuple):
    year: int
    month: int
    day: int


def _tabular_start(year: int, month: int) -> int:
    return (59 * (month - 1) + 1) // 2 + (year - 1) * 354 + (3 + 11 * year) // 30 + _EPOCH


def tabular(day: date) -> HijriDate:
    ordinal = day.toordinal()
    year = (30 * (ordinal - _EPOCH) + 10646) // 10631
    month = min(12, -(-2 * (ordinal - 29 - _tabular_start(year, 1)) // 59) + 1)
    month = max(month, 1)
    return HijriDate(year, month, ordinal - _tabular_start(year, month) + 1)


@lru_cache(maxsize=65536)
def to_hijri(day: date) -> HijriDate:
    try:
        found = Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):  # outside the Umm al-Qura table
        return tabular(day)
    return HijriDate(found.year, found.month, found.day)


def source() -> str:
    """Which calendar is in use, for the pages' footnote."""
    return str(_("Umm al-Qura calendar (hijridate; the tabular calendar outside 1924–2077)"))


def month_name(month: int) -> str:
    return str(MONTH_NAMES[month])
