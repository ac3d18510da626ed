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

        from campaigns.portal import on_preference_changed, portal_section
        from supporters.portal import PortalSection, portal_section_register
        from supporters.preferences import preference_changed

        portal_section_register(PortalSection(key="activism", order=20, render=portal_section))
        preference_changed.connect(on_preference_changed, dispatch_uid="campaigns.portal.preferences")
