"""Money: integers in minor units, exponents per currency, fees, and display in the reader's language."""

from __future__ import annotations

import random

import pytest

from donations.money import MAXIMUM, MINIMUM, AmountError, exponent, fee_to_cover, format_money, parse_amount, step


@pytest.mark.parametrize(("currency", "places"), [("USD", 2), ("EUR", 2), ("GBP", 2), ("JOD", 3), ("KWD", 3),
                                                  ("SAR", 2), ("AED", 2), ("EGP", 2), ("JPY", 0)])  # fmt: skip
def test_exponents_follow_iso_4217(currency, places):
    assert exponent(currency) == places


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("25", "USD", 2500), ("25.5", "USD", 2550), ("1,250.75", "EUR", 125_075), ("$40", "USD", 4000),
     ("٢٥٫٥٠", "USD", 2550), ("۳۰", "GBP", 3000), ("12.35", "JOD", 12_350), ("12.3", "KWD", 12_300),
     ("5000", "JPY", 5000), ("JOD 7", "JOD", 7000)],
)  # fmt: skip
def test_typed_amounts_become_minor_units(text, currency, minor):
    assert parse_amount(text, currency) == minor
    assert isinstance(parse_amount(text, currency), int)


@pytest.mark.parametrize(("text", "currency"), [("12.345", "JOD"), ("1.5", "JPY"), ("1.005", "USD"), ("-5", "USD"),
                                                ("0", "USD"), ("abc", "USD"), ("NaN", "USD"), ("Infinity", "USD")])  # fmt: skip
def test_amounts_that_cannot_be_charged_are_refused(text, currency):
    with pytest.raises(AmountError):
        parse_amount(text, currency)


def test_three_decimal_currencies_charge_in_tens_for_stripe():
    assert step("JOD") == step("KWD") == 10 and step("USD") == 1
    assert fee_to_cover(20_000, "JOD", percent_bp=290, fixed_minor=200) % 10 == 0


@pytest.mark.parametrize(
    ("amount", "currency", "extra"), [(5000, "USD", 181), (10_000, "USD", 330), (3000, "JPY", 136)]
)
def test_the_fee_to_cover_leaves_the_whole_gift(amount, currency, extra):
    fixed = {"USD": 30, "JPY": 45}[currency]
    added = fee_to_cover(amount, currency, percent_bp=290, fixed_minor=fixed)
    assert added == extra
    total = amount + added
    # What the processor keeps from the total leaves at least the gift.
    assert total - (total * 290 // 10_000 + fixed) >= amount


def test_limits_exist_for_every_currency():
    assert set(MINIMUM) == set(MAXIMUM)
    assert all(MINIMUM[c] < MAXIMUM[c] <= 99_999_999 for c in MINIMUM)


@pytest.mark.parametrize(
    ("minor", "currency", "language", "shown"),
    [(5000, "USD", "en", "$50.00"), (20_000, "JOD", "en", "JOD20.000"), (5000, "JPY", "en", "¥5,000"),
     (5000, "USD", "ar", "\u2066\u200f50.00\xa0US$\u2069")],
)  # fmt: skip
def test_display_in_the_readers_language(minor, currency, language, shown):
    assert format_money(minor, currency, language) == shown


def test_short_display_drops_zero_decimals_only():
    assert format_money(5000, "USD", "en", short=True) == "$50"
    assert format_money(5050, "USD", "en", short=True) == "$50.50"


@pytest.mark.parametrize("language", ["en", "ar", "en-gb", "fr"])
def test_amounts_read_as_babel_formats_them_in_every_currency(language):
    """format_money fills plain currency patterns itself (tables format hundreds); the text must be babel's."""
    from babel import Locale
    from babel.numbers import format_currency

    from cms.currencies import SUPPORTED_CURRENCIES, babel_locale
    from donations.money import to_major

    locale = Locale.parse(babel_locale(language))
    rng = random.Random(language)
    amounts = [0, 1, 5, 99, 100, 999, 1000, 1001, 123456, 10**9 + 7, -1, -250075, *rng.sample(range(10**12), 40)]
    for currency in SUPPORTED_CURRENCIES:
        for minor in amounts:
            expected = format_currency(to_major(minor, currency), currency, locale=locale)
            if locale.character_order == "right-to-left":
                expected = f"\u2066{expected}\u2069"
            assert format_money(minor, currency, language) == expected, (currency, minor)
