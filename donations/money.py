"""Money: integers in the currency's minor unit, converted to and from text in one place.

Never a float. Exponents come from ISO 4217 via Babel (JPY 0, USD 2, JOD and
KWD 3). Stripe wants three-decimal amounts to end in 0, so for those
currencies an amount is a whole number of tens of the minor unit.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import (
    NumberPattern,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)
from django.utils.translation import gettext as _

from cms.currencies import SUPPORTED_CURRENCIES, babel_locale

# Stripe: three-decimal currencies must be charged in multiples of 10 minor units.
TENS_ONLY = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

# Smallest and largest online gift, in minor units. The minimum stays above
# Stripe's own minimum charge; the maximum (about 100,000 USD) stops typos and
# card testing with huge amounts, and stays within Stripe's 8-digit limit.
MINIMUM: dict[str, int] = {
    "USD": 100, "EUR": 100, "GBP": 100, "JOD": 1000, "SAR": 500,
    "AED": 500, "EGP": 2500, "KWD": 500, "JPY": 100,
}  # fmt: skip
MAXIMUM: dict[str, int] = {
    "USD": 10_000_000, "EUR": 10_000_000, "GBP": 10_000_000, "JOD": 70_000_000, "SAR": 37_500_000,
    "AED": 36_700_000, "EGP": 99_999_999, "KWD": 30_000_000, "JPY": 15_000_000,
}  # fmt: skip

# Digits people type on Arabic keyboards, and the Arabic decimal and thousands marks.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")


class AmountError(ValueError):
    """An amount a person typed that cannot be charged; the message says why."""


def exponent(currency: str) -> int:
    return get_currency_precision(currency)


def step(currency: str) -> int:
    """The smallest chargeable increment, in minor units."""
    return 10 if currency in TENS_ONLY else 1


def to_minor(amount: Decimal, currency: str) -> int:
    """A Decimal in major units to an integer in minor units; refuses fractions of the minor unit."""
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise AmountError(
            _("%(currency)s amounts have at most %(places)s decimal places.")
            % {"currency": currency, "places": exponent(currency)}
        )
    return int(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def parse_amount(text: str, currency: str) -> int:
    """What a donor typed ("25", "25.50", "1,000", "٢٥٫٥") as minor units of ``currency``."""
    cleaned = text.strip().translate(_DIGITS).replace(",", "").replace(" ", "").replace("\u00a0", "")
    for symbol in ("$", "€", "£", "¥"):
        cleaned = cleaned.replace(symbol, "")
    if cleaned.upper().startswith(currency):
        cleaned = cleaned[len(currency) :]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError(_("Enter an amount as a number, for example 25 or 25.50.")) from None
    if not value.is_finite() or value <= 0:
        raise AmountError(_("Enter an amount greater than zero."))
    minor = to_minor(value, currency)
    if minor % step(currency):
        raise AmountError(
            _("%(currency)s amounts must be a whole number of tens of the smallest unit.") % {"currency": currency}
        )
    return minor


def check_limits(minor: int, currency: str) -> None:
    if minor < MINIMUM[currency]:
        raise AmountError(
            _("The smallest online gift is %(amount)s.") % {"amount": format_money(MINIMUM[currency], currency)}
        )
    if minor > MAXIMUM[currency]:
        raise AmountError(
            _("The largest online gift is %(amount)s.") % {"amount": format_money(MAXIMUM[currency], currency)}
        )


def round_up_to_step(minor: int, currency: str) -> int:
    unit = step(currency)
    return -(-minor // unit) * unit


def fee_to_cover(amount_minor: int, currency: str, *, percent_bp: int, fixed_minor: int) -> int:
    """What to add so that, after a fee of percent + fixed on the total, the charity receives ``amount``.

    total = (amount + fixed) / (1 - percent), rounded up to a chargeable amount.
    """
    if percent_bp <= 0 and fixed_minor <= 0:
        return 0
    total = math.ceil((amount_minor + fixed_minor) * 10_000 / (10_000 - percent_bp))
    return round_up_to_step(total, currency) - amount_minor


def format_money(minor: int, currency: str, language: str | None = None, *, short: bool = False) -> str:
    """For people to read, in their language's conventions.

    ``short`` drops the decimals of a whole amount ("$50" rather than "$50.00"),
    for suggested amounts; amounts in sentences and summaries keep them.
    """
    locale, pattern, whole = _currency_patterns(babel_locale(language))
    major = to_major(minor, currency)
    if short and minor % 10 ** exponent(currency) == 0:
        text = whole.apply(major, locale, currency=currency, currency_digits=False)
    else:
        fast = _plain_format(locale, pattern, currency)
        # What babel's format_currency gives, without its per-call parsing and decimal arithmetic
        # (the Insights tables format hundreds of amounts a page); babel itself for any other pattern.
        text = fast.text(minor, exponent(currency)) if fast else pattern.apply(major, locale, currency=currency)
    if locale.character_order == "right-to-left":
        # In right-to-left text the bidi algorithm would move the "$" of "US$" to the wrong side
        # ("$US 50.00"): isolate the amount as a left-to-right run (LRI ... PDI) wherever it lands.
        return f"\u2066{text}\u2069"
    return text


@functools.cache
def _currency_patterns(name: str) -> tuple[Locale, NumberPattern, NumberPattern]:
    """A locale, its standard currency pattern and the same without decimals (patterns are not changed by use)."""
    locale = Locale.parse(name)
    pattern = parse_pattern(locale.currency_formats["standard"])
    whole = parse_pattern(locale.currency_formats["standard"])
    whole.frac_prec = (0, 0)
    return locale, pattern, whole


@dataclass(frozen=True)
class _PlainFormat:
    """A currency pattern of the plain kind (groups of three, the currency's decimals), filled in directly."""

    prefix: tuple[str, str]  # positive, negative
    suffix: tuple[str, str]
    group: str
    decimal: str

    def text(self, minor: int, places: int) -> str:
        negative = minor < 0
        whole, fraction = divmod(abs(minor), 10**places)
        number = f"{whole:,}".replace(",", self.group)
        if places:
            number += f"{self.decimal}{fraction:0{places}d}"
        return f"{self.prefix[negative]}{number}{self.suffix[negative]}"


@functools.cache
def _plain_format(locale: Locale, pattern: NumberPattern, currency: str) -> _PlainFormat | None:
    """The fast form of ``pattern`` for ``currency``, or None where babel's own apply() is needed."""
    affixes = (*pattern.prefix, *pattern.suffix)
    plain = (
        pattern.scale == 0
        and not pattern.exp_prec
        and "@" not in pattern.pattern
        and pattern.grouping == (3, 3)
        and pattern.int_prec[0] == 1
        and pattern.number_pattern != ""
        and get_currency_precision(currency) == exponent(currency)
        and not any("'" in affix or "¤¤" in affix for affix in affixes)
    )
    if not plain:
        return None
    symbol = get_currency_symbol(currency, locale)
    prefix = tuple(affix.replace("¤", symbol) for affix in pattern.prefix)
    suffix = tuple(affix.replace("¤", symbol) for affix in pattern.suffix)
    return _PlainFormat(prefix, suffix, get_group_symbol(locale), get_decimal_symbol(locale))  # type: ignore[arg-type]


def format_plain(minor: int, currency: str) -> str:
    """The major amount as digits for a form field ("25.50", "1.500", "3000")."""
    places = exponent(currency)
    return f"{to_major(minor, currency):.{places}f}"


__all__ = [
    "MAXIMUM",
    "MINIMUM",
    "SUPPORTED_CURRENCIES",
    "AmountError",
    "check_limits",
    "exponent",
    "fee_to_cover",
    "format_money",
    "format_plain",
    "parse_amount",
    "step",
    "to_major",
    "to_minor",
]
