from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    """Money: gifts, gateways, webhooks, the ledger, receipts and analytics."""

    name = "donations"
    verbose_name = _("Donations")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from donations.insights import signals as insights_signals

        post_migrate.connect(_seed_chart_of_accounts, sender=self)
        insights_signals.connect()

        from donations import privacy

        privacy.register()  # gifts and receipts in a supporter's data export and erasure


def _seed_chart_of_accounts(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    """After migrating, the chart of accounts exists for every currency and gateway (only what is missing)."""
    from donations.ledger.posting import seed_chart

    seed_chart(using=using)
