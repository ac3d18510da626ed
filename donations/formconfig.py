"""What staff configured for a donation form, carried through the browser signed.

The donate block (on any page) and the donate page both describe their form
with a DonationFormConfig. The form carries it back as a signed token, so
the server never trusts a currency list, a fund or a preset from the page,
and a tampered token gets a clear error instead of a gift.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.core import signing

from donations.choices import Frequency, Surface
from donations.money import MINIMUM, parse_amount, step

SALT = "donations.form-config"
MAX_AGE_SECONDS = 7 * 24 * 3600


class ConfigError(ValueError):
    """The form's token is missing, tampered with or too old."""


@dataclass(frozen=True)
class DonationFormConfig:
    currencies: tuple[str, ...] = ("USD",)
    default_currency: str = "USD"
    frequencies: tuple[str, ...] = (Frequency.ONE_TIME, Frequency.MONTHLY)
    default_frequency: str = Frequency.ONE_TIME
    # currency -> frequency -> amounts in minor units
    presets: dict[str, dict[str, tuple[int, ...]]] = field(default_factory=dict)
    fund_id: int | None = None
    designation_page_id: int | None = None
    source_page_id: int | None = None
    surface: str = Surface.PAGE
    monthly_upsell: bool = True
    ask_demographics: bool = False

    def amounts(self, currency: str, frequency: str) -> tuple[int, ...]:
        return tuple(self.presets.get(currency, {}).get(frequency, ()))

    def monthly_suggestion(self, currency: str, one_time_minor: int) -> int:
        """What to suggest as a monthly gift to someone giving ``one_time_minor`` once."""
        monthly = sorted(self.amounts(currency, Frequency.MONTHLY))
        fitting = [amount for amount in monthly if amount * 2 <= one_time_minor]
        if fitting:
            return fitting[-1]
        if monthly:
            return monthly[0]
        unit = step(currency)
        return max(MINIMUM[currency], one_time_minor // 3 // unit * unit)

    # -- through the browser ------------------------------------------------

    def sign(self) -> str:
        data = asdict(self)
        return signing.dumps(data, salt=SALT, compress=True)

    @classmethod
    def unsign(cls, token: str) -> DonationFormConfig:
        try:
            data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
        except signing.SignatureExpired as exc:
            raise ConfigError("expired") from exc
        except signing.BadSignature as exc:
            raise ConfigError("tampered") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DonationFormConfig:
        presets = {
            currency: {frequency: tuple(int(a) for a in amounts) for frequency, amounts in by_frequency.items()}
            for currency, by_frequency in (data.get("presets") or {}).items()
        }
        return cls(
            currencies=tuple(data["currencies"]),
            default_currency=data["default_currency"],
            frequencies=tuple(data["frequencies"]),
            default_frequency=data["default_frequency"],
            presets=presets,
            fund_id=data.get("fund_id"),
            designation_page_id=data.get("designation_page_id"),
            source_page_id=data.get("source_page_id"),
            surface=data.get("surface", Surface.PAGE),
            monthly_upsell=bool(data.get("monthly_upsell")),
            ask_demographics=bool(data.get("ask_demographics")),
        )


def parse_preset_list(text: str, currency: str) -> tuple[int, ...]:
    """ "10, 25, 50" as minor units of ``currency`` (raises AmountError with the reason)."""
    return tuple(parse_amount(part, currency) for part in text.split(",") if part.strip())
