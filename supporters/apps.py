from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportersConfig(AppConfig):
    """People: supporters, consents, sign-in, the portal and privacy rights."""

    name = "supporters"
    verbose_name = _("Supporters")

    def ready(self) -> None:
        # Registers the supporters' own data source (the others register from their apps).
        from supporters import privacy  # noqa: F401
