"""Choices shared by the models, the forms and the blocks (kept apart so blocks import no models)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    ONE_TIME = "one_time", _("One-time")
    MONTHLY = "monthly", _("Monthly")


class GatewayName(models.TextChoices):
    SANDBOX = "sandbox", _("Sandbox (test mode)")
    STRIPE = "stripe", _("Stripe")
    OFFLINE = "offline", _("Offline")


class Surface(models.TextChoices):
    PAGE = "page", _("Donate page")
    BLOCK = "block", _("Donate block on a page")
    EMBED = "embed", _("Embedded form")
    RECURRING = "recurring", _("Monthly renewal")
    OFFLINE = "offline", _("Recorded by staff")
