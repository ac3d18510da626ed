from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    """Advocacy: campaigns, petitions, virtual marches, targets and proposals."""

    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns import insights, privacy

        privacy.register()  # signatures, marches, proposals and votes in a supporter's data export and erasure
        insights.register()  # signers and march participants for the advocacy-to-giving figures
