from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    """Money: gifts, gateways, webhooks, the ledger, receipts and analytics."""

    name = "donations"
    verbose_name = _("Donations")
