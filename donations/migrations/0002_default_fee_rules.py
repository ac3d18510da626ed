"""A starting card-fee schedule (2.9% plus about 0.30 USD in each currency); staff edit it in the admin."""

from django.db import migrations

DEFAULTS = {
    "USD": 30, "EUR": 25, "GBP": 20, "JOD": 200, "SAR": 110,
    "AED": 110, "EGP": 1500, "KWD": 90, "JPY": 45,
}  # fmt: skip


def add_rules(apps, schema_editor):
    FeeRule = apps.get_model("donations", "FeeRule")
    for currency, fixed in DEFAULTS.items():
        FeeRule.objects.get_or_create(currency=currency, defaults={"percent_bp": 290, "fixed_minor": fixed})


class Migration(migrations.Migration):
    dependencies = [("donations", "0001_initial")]

    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
