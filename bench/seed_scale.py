"""Seed a PostgreSQL database at scale for the Insights benchmark: 1,000,000 gifts, 2,000,000 signatures.

``python -m bench.seed_scale`` (``--gifts N --signatures N``) writes, with
INSERT ... SELECT over generate_series (no ORM per row): supporters, monthly
gifts, paid gifts spread over two years with a midday and weekday shape, a
share of them monthly payments, refunds and several currencies, and confirmed
signatures on the demo petition, a fifth of them from people who also give.
Only a PostgreSQL database whose name contains "bench" or "insights" is
seeded, and only up to the size asked (a second run adds nothing). Run
``manage.py migrate`` and ``load_demo`` first (the petition comes from the demo).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

GIFTS = 1_000_000
SIGNATURES = 2_000_000
SUPPORTERS = 300_000
MONTHLY = 20_000
EMAIL_DOMAIN = "scale.example.org"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _literal(field: Any) -> str:
    """An SQL value for a NOT NULL column the seed does not set: the field's constant default, or empty."""
    from django.db import models

    if isinstance(field, models.UUIDField):
        return "gen_random_uuid()"
    if isinstance(field, models.DateTimeField):
        return "now()"
    default = field.default if field.has_default() and not callable(field.default) else None
    if isinstance(field, models.BooleanField):
        return "true" if default else "false"
    if isinstance(field, models.IntegerField | models.BigIntegerField | models.PositiveIntegerField):
        return str(int(default or 0))
    return "'" + str(default or "").replace("'", "''") + "'"


def insert_select(model: Any, values: dict[str, str], series: str) -> str:
    """INSERT INTO model's table (every NOT NULL column) SELECT the given expressions FROM ``series``."""
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.column in values:
            columns.append(field.column)
            expressions.append(values[field.column])
        elif not field.null:
            columns.append(field.column)
            expressions.append(_literal(field))
    quoted = ", ".join(f'"{column}"' for column in columns)
    return f"INSERT INTO {model._meta.db_table} ({quoted}) SELECT {', '.join(expressions)} FROM {series}"  # noqa: S608


# A gift's moment: a day in the two years before now, an hour drawn around midday (sum of uniforms),
# and Tuesdays and Wednesdays kept more often than weekends.
MOMENT = (
    "least(now(), date_trunc('day', now() - (random() * 730) * interval '1 day') "
    "+ ((greatest(0, least(23.99, 4 + 17 * (random() + random() + random()) / 3))) * interval '1 hour'))"
)


# Gifts made in the last hour: what "new gifts" arriving during a surge look like to the fold.
RECENT = "now() - random() * interval '1 hour'"


def seed_gifts(cursor: Any, *, target: int, first: int = 0, moment: str = MOMENT) -> int:
    """Add gifts numbered ``first`` to ``target - 1`` (0-based), made at ``moment``; returns how many were added."""
    from donations.models import Donation

    count = target - first
    if count <= 0:
        return 0
    cursor.execute("SELECT min(id), max(id) FROM supporters_supporter WHERE email LIKE %s", [f"%@{EMAIL_DOMAIN}"])
    low, high = cursor.fetchone()
    cursor.execute("SELECT min(id), max(id) FROM donations_recurringgift WHERE subscription_id LIKE 'scale_%%'")
    rg_low, rg_high = cursor.fetchone()
    monthly = f"(n % 10 = 0 AND {rg_low or 0} > 0)"
    rg_span = max(1, (rg_high or 0) - (rg_low or 0) + 1)
    values = {
        "supporter_id": f"{low} + (floor(power(random(), 1.6) * ({high} - {low} + 1)))::bigint",
        "recurring_gift_id": f"CASE WHEN {monthly} THEN {rg_low or 0} + (n / 10) % {rg_span} END",
        "amount_minor": "(ARRAY[1000, 2500, 5000, 10000, 25000])[1 + floor(random() * 5)::int] * "
        "(CASE WHEN n % 7 = 1 THEN 10 ELSE 1 END)",
        "currency": "CASE WHEN n % 7 = 1 THEN 'JOD' WHEN n % 7 = 2 THEN 'EUR' WHEN n % 7 = 3 THEN 'GBP' ELSE 'USD' END",
        "frequency": f"CASE WHEN {monthly} THEN 'monthly' ELSE 'one_time' END",
        "gateway": "'sandbox'",
        "status": "CASE WHEN n % 97 = 0 THEN 'partially_refunded' ELSE 'succeeded' END",
        "amount_refunded_minor": "0",
        "succeeded_at": "m.at",
        "created_at": "m.at",
        "updated_at": "now()",  # written now, as a real gift's row is
        "surface": "(ARRAY['page', 'page', 'block', 'embed'])[1 + n % 4]",
        "device_class": "(ARRAY['mobile', 'mobile', 'desktop', 'tablet'])[1 + (n / 4) % 4]",
        "payment_method_type": "(ARRAY['card', 'card', 'card', 'apple_pay', 'google_pay'])[1 + (n / 3) % 5]",
        "utm_source": "(ARRAY['', 'newsletter', 'facebook', 'google', 'instagram', ''])[1 + (n / 5) % 6]",
        "utm_medium": "(ARRAY['', 'email', 'social', 'cpc', 'social', ''])[1 + (n / 5) % 6]",
        "address_country": "(ARRAY['JO', 'GB', 'US', 'SA', 'AE', 'DE', ''])[1 + (n / 7) % 7]",
        "language": "'en'",
    }
    series = (
        f"generate_series({first}, {target - 1}) AS n "
        f"CROSS JOIN LATERAL (SELECT ({moment}) + (n % 2) * interval '0 seconds' AS at) m"
    )
    cursor.execute(insert_select(Donation, values, series))
    # One gift in 97 half refunded (amount is known only after the insert).
    cursor.execute(
        "UPDATE donations_donation SET amount_refunded_minor = amount_minor / 2 "
        "WHERE status = 'partially_refunded' AND amount_refunded_minor = 0"
    )
    return count


def seed(gifts: int, signatures: int) -> dict[str, Any]:
    _setup()
    from django.apps import apps
    from django.db import connection, transaction

    from donations.models import Donation, RecurringGift
    from supporters.models import Supporter

    name = connection.settings_dict["NAME"] or ""
    if connection.vendor != "postgresql" or not ("bench" in name or "insights" in name):
        raise SystemExit(f"refusing to seed {connection.vendor} database {name!r}: use a PostgreSQL 'bench_*' one")
    Signature = apps.get_model("campaigns", "Signature")
    PetitionPage = apps.get_model("campaigns", "PetitionPage")
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM supporters_supporter WHERE email LIKE %s", [f"%@{EMAIL_DOMAIN}"])
        have = cursor.fetchone()[0]
        if have < SUPPORTERS:
            cursor.execute(
                insert_select(
                    Supporter,
                    {"email": f"'scale' || n || '@{EMAIL_DOMAIN}'", "name": "'Scale donor ' || n", "language": "'en'"},
                    f"generate_series({have}, {SUPPORTERS - 1}) AS n",
                )
            )
        cursor.execute("SELECT count(*) FROM donations_recurringgift WHERE subscription_id LIKE 'scale_%%'")
        have = cursor.fetchone()[0]
        if have < MONTHLY:
            cursor.execute("SELECT min(id) FROM supporters_supporter WHERE email LIKE %s", [f"%@{EMAIL_DOMAIN}"])
            low = cursor.fetchone()[0]
            cursor.execute(
                insert_select(
                    RecurringGift,
                    {"supporter_id": f"{low} + n", "amount_minor": "(ARRAY[1000, 2000, 5000])[1 + n % 3]",
                     "currency": "'USD'", "gateway": "'sandbox'", "status": "'active'",
                     "subscription_id": "'scale_' || n"},
                    f"generate_series({have}, {MONTHLY - 1}) AS n",
                )
            )  # fmt: skip
        cursor.execute("SELECT count(*) FROM donations_donation WHERE gateway = 'sandbox' AND attempt_id IS NULL")
        have = cursor.fetchone()[0]
        figures["gifts_added"] = seed_gifts(cursor, target=gifts, first=have)
        figures["gifts_s"] = round(time.perf_counter() - started, 1)

        petition = PetitionPage.objects.order_by("pk").first()
        if petition is None:
            raise SystemExit("no petition: run manage.py load_demo first")
        cursor.execute(
            f"SELECT count(*) FROM {Signature._meta.db_table} WHERE email_domain = %s",  # noqa: S608
            [EMAIL_DOMAIN],
        )
        have = cursor.fetchone()[0]
        if have < signatures:
            cursor.execute(
                "SELECT min(id), max(id) FROM supporters_supporter WHERE email LIKE %s", [f"%@{EMAIL_DOMAIN}"]
            )
            low, high = cursor.fetchone()
            moment = "now() - (random() * 730) * interval '1 day'"
            cursor.execute(
                insert_select(
                    Signature,
                    {"petition_id": str(petition.pk), "status": "'confirmed'", "name": "'Signer ' || n",
                     "email": f"'signer' || n || '@{EMAIL_DOMAIN}'",
                     "email_canonical": f"'signer' || n || '@{EMAIL_DOMAIN}'",
                     "email_domain": f"'{EMAIL_DOMAIN}'", "country": "'JO'", "consent_version": "'scale'",
                     "created_at": f"({moment})", "confirmed_at": f"({moment})",
                     "supporter_id": f"CASE WHEN n % 5 = 0 THEN {low} + (n / 5) % ({high} - {low} + 1) END"},
                    f"generate_series({have}, {signatures - 1}) AS n",
                )
            )  # fmt: skip
        figures["signatures_added"] = max(0, signatures - have)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE donations_donation; ANALYZE supporters_supporter")
        cursor.execute(f"ANALYZE {Signature._meta.db_table}")
    figures["gifts"] = Donation.objects.count()
    figures["signatures"] = Signature.objects.count()
    figures["seed_s"] = round(time.perf_counter() - started, 1)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed_scale", description=__doc__.splitlines()[0])
    parser.add_argument("--gifts", type=int, default=GIFTS)
    parser.add_argument("--signatures", type=int, default=SIGNATURES)
    args = parser.parse_args(argv)
    print(json.dumps(seed(args.gifts, args.signatures)))


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    main()
