from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportersConfig(AppConfig):
    """People: supporters, consents, sign-in, the portal and privacy rights."""

    name = "supporters"
    verbose_name = _("Supporters")

    def ready(self) -> None:
        # Registers the supporters' own data source (the others register from their apps).
        from supporters import privacy  # noqa: F401
        from supporters.portal import PortalSection, portal_section_register

        portal_section_register(PortalSection(key="preferences", order=40, render=_preferences_section))


def _preferences_section(request, supporter) -> str:
    from django.template.loader import render_to_string

    from supporters.preferences import TOPICS, preferences_current

    current = preferences_current(supporter)
    chosen = [topic.label for topic in TOPICS if current[topic.key]]
    return render_to_string("supporters/_preferences_section.html", {"chosen": chosen}, request=request)
