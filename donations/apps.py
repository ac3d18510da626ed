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

        from supporters.portal import PortalSection, portal_section_register

        portal_section_register(PortalSection(key="gifts", order=10, render=_portal_section))


def _portal_section(request, supporter) -> str:
    """The account page's giving section: how many gifts, and the way to the history and the card."""
    from django.template.loader import render_to_string

    from donations.portal.selectors import supporter_donations
    from donations.services.cards import supporter_live_gifts

    context = {
        "gift_count": supporter_donations(supporter).count(),
        "monthly_count": supporter_live_gifts(supporter).count(),
    }
    return render_to_string("donations/portal/_section.html", context, request=request)


def _seed_chart_of_accounts(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    """After migrating, the chart of accounts exists for every currency and gateway (only what is missing)."""
    from donations.ledger.posting import seed_chart

    seed_chart(using=using)
