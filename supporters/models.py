"""People: one Supporter per email address, and the consents they gave."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Supporter(models.Model):
    """Someone who gave, signed or acted. One row per email address (stored lower-cased)."""

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("supporter")
        verbose_name_plural = _("supporters")

    def __str__(self) -> str:
        return self.name or self.email


class Consent(models.Model):
    """A consent given or withdrawn, with the exact wording the person saw."""

    class Topic(models.TextChoices):
        EMAIL_UPDATES = "email_updates", _("Email updates")
        PUBLIC_DISPLAY = "public_display", _("Shown publicly")
        DEMOGRAPHICS = "demographics", _("Demographic questions")

    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="consents")
    topic = models.CharField(max_length=32, choices=Topic.choices)
    granted = models.BooleanField()
    wording = models.TextField(help_text=_("The text the person agreed to, in their language."))
    wording_version = models.CharField(max_length=32)
    source = models.CharField(max_length=64, help_text=_("Where it was given, e.g. donation_form."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["supporter", "topic", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.supporter} {self.topic} {'granted' if self.granted else 'withdrawn'}"
