"""The Django side of the harness: preparation and after-run counts, in a subprocess.

The harness imports nothing from Django; it runs ``python -m bench.dbtools
COMMAND`` with the server's environment (so the same database, cache, broker
and SECRET_KEY) and reads one line of JSON from stdout:

``prepare``
    Make the ``bench_insert`` table for the INSERT baseline (raw SQL, in the
    database's own dialect: bench has no models and no migrations) and the
    donate page the ``donations`` benchmark posts to, a child of the site's
    home page with the monthly upsell off. Both only if missing.
``webhook-stats --expect PREFIX=N ...``
    For each prefix: the WebhookEvent rows whose event id starts with it,
    whether each id was stored exactly once, and whether the stored ids are
    exactly ``PREFIX0`` ... ``PREFIX<N-1>`` (the ids the client sent).
``donation-stats --campaign NAME ...``
    For each UTM campaign the client put in its form posts: gifts started,
    gifts with a payment (the sandbox PaymentIntent), their gateways.
``queue``
    Messages waiting in the Celery broker's default queue (null when Celery
    runs eagerly or the broker cannot say).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

DONATE_SLUG = "bench-give"
DONATE_TITLE = "Give (benchmark)"
# One currency and no demographic questions; no monthly upsell, so the form
# redirects straight to the payment step.
DONATE_FORM: dict[str, Any] = {
    "heading": "Choose your gift",
    "intro": "",
    "currencies": ["USD"],
    "default_currency": "USD",
    "presets": [{"currency": "USD", "one_time": "25, 50, 100, 250", "monthly": "10, 20, 50"}],
    "frequencies": ["one_time", "monthly"],
    "default_frequency": "one_time",
    "fund": None,
    "monthly_upsell": False,
    "ask_demographics": False,
}


def insert_table_create() -> None:
    """``bench_insert`` for the INSERT baseline (bench.views.insert), if it is not there yet."""
    from django.db import connection

    from bench.views import INSERT_TABLE

    if connection.vendor == "postgresql":
        ddl = (
            f"CREATE TABLE IF NOT EXISTS {INSERT_TABLE} "
            "(id bigserial PRIMARY KEY, created_at timestamptz NOT NULL, payload text NOT NULL)"
        )
    else:
        ddl = (
            f"CREATE TABLE IF NOT EXISTS {INSERT_TABLE} "
            "(id integer PRIMARY KEY AUTOINCREMENT, created_at datetime NOT NULL, payload text NOT NULL)"
        )
    with connection.cursor() as cursor:
        cursor.execute(ddl)


def donate_page_ensure() -> dict[str, Any]:
    """The benchmark's donate page under the default site's home page (made and published if missing)."""
    from wagtail.models import Site

    from cms.demo import publish
    from donations.pages import DonatePage

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        raise SystemExit("no default Wagtail site: run manage.py load_demo first")
    home = site.root_page
    page = DonatePage.objects.child_of(home).filter(slug=DONATE_SLUG).first()
    if page is None:
        page = DonatePage(
            title=DONATE_TITLE,
            slug=DONATE_SLUG,
            locale=home.locale,
            show_in_menus=False,
            intro="A donate page the benchmarks post to (python -m bench donations).",
            form=[("donate", DONATE_FORM)],
        )
        home.add_child(instance=page)
        page = publish(page)
    elif not page.live or page.form_config().monthly_upsell:
        # Someone switched the upsell on (or unpublished it) in the admin: put it back.
        page.form = [("donate", DONATE_FORM)]
        page = publish(page)
    parts = page.get_url_parts()
    if parts is None:
        raise SystemExit(f"the donate page {page.pk} has no URL on the default site")
    config = page.form_config()
    return {
        "donate_page_id": page.pk,
        "donate_path": parts[2],
        "donate_currency": config.default_currency,
        "donate_amounts": list(config.amounts(config.default_currency, "one_time")),
        "monthly_upsell": config.monthly_upsell,
    }


def prepare() -> dict[str, Any]:
    """What every session needs before its first server starts (idempotent)."""
    insert_table_create()
    return donate_page_ensure()


def webhook_stats(expected: dict[str, int]) -> dict[str, Any]:
    """Per prefix: rows stored, ids stored more than once, and whether the ids are exactly those sent."""
    from django.db.models import Count

    from donations.models import WebhookEvent

    stats: dict[str, Any] = {}
    for prefix, sent in expected.items():
        rows = WebhookEvent.objects.filter(gateway="stripe", event_id__startswith=prefix)
        event_ids = list(rows.values_list("event_id", flat=True))
        repeated = rows.values("event_id").annotate(n=Count("id")).filter(n__gt=1).count()
        numbers = set()
        for event_id in event_ids:
            suffix = event_id[len(prefix) :]
            if suffix.isdigit():
                numbers.add(int(suffix))
        statuses = dict(rows.values_list("status").annotate(n=Count("id")).order_by("status"))
        stats[prefix] = {
            "sent": sent,
            "stored": len(event_ids),
            "distinct": len(set(event_ids)),
            "repeated": repeated,
            "exact": numbers == set(range(sent)) and len(event_ids) == sent,
            "statuses": statuses,
        }
    return {"prefixes": stats, "queue": queue_length()}


def donation_stats(campaigns: list[str]) -> dict[str, Any]:
    """Per UTM campaign: gifts started, gifts with a payment created, and their gateways."""
    from django.db.models import Count

    from donations.models import Donation

    stats: dict[str, Any] = {}
    for campaign in campaigns:
        gifts = Donation.objects.filter(utm_source="bench", utm_campaign=campaign)
        stats[campaign] = {
            "started": gifts.count(),
            "with_payment": gifts.exclude(payment_intent_id__isnull=True).exclude(payment_intent_id="").count(),
            "gateways": dict(gifts.values_list("gateway").annotate(n=Count("id")).order_by("gateway")),
            "statuses": dict(gifts.values_list("status").annotate(n=Count("id")).order_by("status")),
        }
    return {"campaigns": stats}


def queue_length() -> int | None:
    """Messages waiting in the default Celery queue, or None (eager Celery, or a broker that cannot say)."""
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    from celery import current_app as app  # the project's app, set when the settings package loaded

    try:
        with app.connection_for_write() as connection:
            declared = connection.default_channel.queue_declare(queue=app.conf.task_default_queue, passive=True)
            return int(declared.message_count)
    except Exception as exc:  # noqa: BLE001 - a queue nobody declared yet is empty; anything else: unknown
        if "NOT_FOUND" in str(exc) or "no queue" in str(exc).lower():
            return 0
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dbtools")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare")
    webhooks = commands.add_parser("webhook-stats")
    webhooks.add_argument("--expect", action="append", default=[], metavar="PREFIX=N")
    donations = commands.add_parser("donation-stats")
    donations.add_argument("--campaign", action="append", default=[])
    commands.add_parser("queue")
    args = parser.parse_args(argv)

    import django

    django.setup()
    if args.command == "prepare":
        result = prepare()
    elif args.command == "webhook-stats":
        expected = {}
        for item in args.expect:
            prefix, _sep, count = item.rpartition("=")
            expected[prefix] = int(count)
        result = webhook_stats(expected)
    elif args.command == "donation-stats":
        result = donation_stats(args.campaign)
    else:
        result = {"queue": queue_length()}
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
