"""The currencies the platform accepts, with their names in the reader's language.

Amounts everywhere are integers in the currency's minor unit; the exponent
(2 for USD, 3 for JOD and KWD, 0 for JPY) comes from ISO 4217 via Babel.
"""

from __future__ import annotations

from babel.numbers import get_currency_name
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

SUPPORTED_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "JOD", "SAR", "AED", "EGP", "KWD", "JPY")


def babel_locale(language: str | None = None) -> str:
    """Babel's name for a Django language code ("en-gb" -> "en_GB")."""
    code = (language or get_language() or "en").replace("-", "_")
    head, _sep, tail = code.partition("_")
    return f"{head}_{tail.upper()}" if tail else head


def currency_choices() -> list[tuple[str, str]]:
    """(code, "code - name") pairs, the name in the active language."""
    locale = babel_locale()
    return [(code, f"{code} – {get_currency_name(code, locale=locale)}") for code in SUPPORTED_CURRENCIES]


def validate_currency(value: str) -> None:
    if value not in SUPPORTED_CURRENCIES:
        raise ValidationError(
            _("%(code)s is not a supported currency."), params={"code": value}, code="unsupported_currency"
        )
