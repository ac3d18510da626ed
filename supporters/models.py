"""People: one Supporter per email address, and the consents they gave."""

from __future__ import annotations

import uuid

from django.core.files.storage import Storage, storages
from django.db import models
from django.utils.translation import gettext_lazy as _


def _private_storage() -> Storage:
    """Exports are personal data: kept where no URL serves them (the "private" storage)."""
    return storages["private"]


class Supporter(models.Model):
    """Someone who gave, signed or acted. One row per email address (stored lower-cased)."""

    email = models.EmailField(_("email"), unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    email_verified_at = models.DateTimeField(
        _("email verified"), null=True, blank=True, help_text=_("When they first used a sign-in link sent to it.")
    )
    # Bumped by "sign out everywhere": a session signed with an older number is dead.
    session_generation = models.PositiveIntegerField(default=0, editable=False)
    # Set when the person had their data erased: the row stays (gifts and receipts point to it), pseudonymised.
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
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
        PETITION_UPDATES = "petition_updates", _("Updates on petitions signed")
        ACTION_ALERTS = "action_alerts", _("Invitations to act")

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


class SignInLink(models.Model):
    """A magic sign-in link sent by email: single use, short-lived, kept only as a hash.

    The link carries a selector (looked up) and a verifier (checked against its
    keyed hash in constant time). The email is the address it was sent to, so a
    person new to us becomes a Supporter only when they use the link.
    """

    request_id = models.UUIDField(unique=True, help_text=_("One link per request, however often the task runs."))
    selector = models.CharField(max_length=16, unique=True)
    verifier_hash = models.CharField(max_length=64)
    email = models.EmailField(_("email"))
    language = models.CharField(max_length=8, default="en")
    next_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    supporter = models.ForeignKey(
        Supporter, null=True, blank=True, on_delete=models.CASCADE, related_name="sign_in_links"
    )

    class Meta:
        verbose_name = _("sign-in link")
        indexes = [models.Index(fields=["email", "-created_at"]), models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"{self.email} {self.created_at:%Y-%m-%d %H:%M}"


class PrivacyRequest(models.Model):
    """A supporter asked for their data or for its erasure: the request, what was done, and when.

    It is the privacy-request log staff read. It names the supporter only by
    their row (pseudonymised once erased), never by email, so it survives the
    erasure it records.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", _("Data export")
        ERASURE = "erasure", _("Erasure")

    class Status(models.TextChoices):
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("Waiting for the emailed confirmation")
        QUEUED = "queued", _("Queued")
        DONE = "done", _("Done")
        EXPIRED = "expired", _("Expired")
        REFUSED = "refused", _("Refused")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    supporter = models.ForeignKey(Supporter, on_delete=models.PROTECT, related_name="privacy_requests")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.QUEUED)
    language = models.CharField(max_length=8, default="en")
    requested_at = models.DateTimeField(_("asked"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    completed_at = models.DateTimeField(_("done"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("link expires"), null=True, blank=True, help_text=_("The export's download link, or the confirmation link.")
    )
    file = models.FileField(upload_to="privacy-exports/", storage=_private_storage, blank=True, max_length=255)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # What was done, per data source: {"donations": {"gifts_pseudonymised": 2, ...}, ...}.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["kind", "status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.supporter_id} · {self.get_status_display()}"
