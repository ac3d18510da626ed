"""Receipts: one gapless number per gift per fiscal year, a PDF anyone can verify, annual statements."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from donations.storage import private_storage
from supporters.models import Supporter


class ReceiptSequence(models.Model):
    """The last receipt number used in a fiscal year; locked while the next one is taken."""

    fiscal_year = models.PositiveIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.fiscal_year}: {self.last_number}"


class Receipt(models.Model):
    """The receipt for one gift, numbered in the same database transaction as the gift's ledger posting."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        AMENDED = "amended", _("Amended after a partial refund")
        VOID = "void", _("Void")

    number = models.CharField(_("number"), max_length=24, unique=True)
    fiscal_year = models.PositiveIntegerField(_("fiscal year"))
    sequence = models.PositiveIntegerField()
    donation = models.OneToOneField("donations.Donation", on_delete=models.PROTECT, related_name="receipt")
    # The public code on the receipt and in its QR code: /receipts/verify/<code>/.
    verification_code = models.CharField(max_length=32, unique=True)
    amount_minor = models.BigIntegerField(_("amount receipted (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    received_at = models.DateTimeField(_("gift received"))
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    language = models.CharField(max_length=8, default="en")
    # The ledger entry crediting the gift's income: the leaf an inclusion proof is about.
    ledger_seq = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ISSUED)
    pdf = models.FileField(upload_to="receipts/%Y/", storage=private_storage, blank=True, max_length=255)
    pdf_version = models.PositiveIntegerField(default=0, help_text=_("Bumped when an amendment changes the PDF."))
    emailed_at = models.DateTimeField(null=True, blank=True)
    emailed_version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("receipt")
        ordering = ["-fiscal_year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "sequence"], name="receipt_number_once_per_year"),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="receipt_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class ReceiptChange(models.Model):
    """Why a receipt was amended or voided, and by whom: never silently."""

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="changes")
    status = models.CharField(max_length=16, choices=Receipt.Status.choices)
    amount_before_minor = models.BigIntegerField()
    amount_after_minor = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    source_key = models.CharField(max_length=255, unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.receipt_id} {self.status}: {self.reason}"


class AnnualStatement(models.Model):
    """One donor's gifts in one fiscal year, as a PDF."""

    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="annual_statements")
    fiscal_year = models.PositiveIntegerField()
    totals = models.JSONField(default=dict, help_text=_("Receipted total per currency, in minor units."))
    gift_count = models.PositiveIntegerField(default=0)
    pdf = models.FileField(upload_to="statements/%Y/", storage=private_storage, blank=True, max_length=255)
    generated_at = models.DateTimeField(auto_now=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("annual statement")
        constraints = [
            models.UniqueConstraint(fields=["supporter", "fiscal_year"], name="annual_statement_once"),
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year} · {self.supporter_id}"


class StatementBatch(models.Model):
    """A run that makes every donor's statement for a fiscal year, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    fiscal_year = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("statement batch")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.fiscal_year}: {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)
