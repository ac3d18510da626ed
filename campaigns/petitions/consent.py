"""The wording signers consent to, and its version (kept with every signature and consent record).

Change the wording, change ``CONSENT_VERSION``: a consent record must always
say exactly what the person agreed to.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from supporters.models import Consent

CONSENT_VERSION = "petition-2026-12"

PUBLIC_WORDING = _("Show my first name and city on this petition's page.")
UPDATES_WORDING = _("Email me about this petition and the campaign it belongs to. I can unsubscribe at any time.")


def consent_wording(topic: str) -> Promise:
    return {Consent.Topic.PUBLIC_DISPLAY: PUBLIC_WORDING, Consent.Topic.EMAIL_UPDATES: UPDATES_WORDING}[topic]
