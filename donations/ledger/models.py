"""The books: accounts, append-only double-entry transactions, their hash chain and Merkle tree.

A ledger *transaction* has two or more *entries* (posting lines) whose signed
amounts sum to zero per currency: positive amounts are debits, negative ones
credits. Entries are numbered 1, 2, 3... without gaps across the whole
ledger; each carries every field of its canonical form (donations/ledger/proofs.py)
so the chain and the tree can be recomputed from this one table, and a chain
hash covering the entry before it. Nothing here is ever updated or deleted:
corrections are new transactions (PostgreSQL refuses UPDATE and DELETE with
triggers; see the migration).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from donations.storage import private_storage
from supporters.models import Supporter


class Account(models.Model):
    """One account of the chart. ``code`` is its stable name, e.g. ``asset:clearing:stripe:USD``."""

    class Type(models.TextChoices):
        ASSET = "asset", _("Asset")
        LIABILITY = "liability", _("Liability")
        INCOME = "income", _("Income")
        EXPENSE = "expense", _("Expense")
        EQUITY = "equity", _("Equity")

    code = models.CharField(_("code"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    contra = models.BooleanField(
        _("contra account"), default=False, help_text=_("Reduces its type's total, e.g. refunds against income.")
    )
    restricted = models.BooleanField(
        _("restricted"), default=False, help_text=_("Income that may be spent only on its designation's purpose.")
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True, help_text=_("Blank: any currency."))
    designation = models.CharField(_("designation"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        ordering = ["code"]
        permissions = [("audit_ledger", "Can use the auditor workspace (read-only)")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def debit_normal(self) -> bool:
        """Assets and expenses grow with debits; contra accounts the other way round."""
        return (self.type in (self.Type.ASSET, self.Type.EXPENSE)) != self.contra


class LedgerTransaction(models.Model):
    """One balanced movement of money, posted once per source (a gift event, an approved expense)."""

    class Kind(models.TextChoices):
        GIFT = "gift", _("Gift received")
        FEE = "fee", _("Processor fee")
        REFUND = "refund", _("Refund")
        DISPUTE_OPENED = "dispute_opened", _("Dispute opened")
        DISPUTE_WON = "dispute_won", _("Dispute won")
        DISPUTE_LOST = "dispute_lost", _("Dispute lost")
        PAYOUT = "payout", _("Payout to bank")
        OFFLINE_GIFT = "offline_gift", _("Offline gift")
        EXPENSE = "expense", _("Expense")
        DISBURSEMENT = "disbursement", _("Disbursement")
        CORRECTION = "correction", _("Correction")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    # What this posts from, e.g. "donation-event:succeeded:pi_123"; posting the same source twice does nothing.
    source_key = models.CharField(_("source"), max_length=255, unique=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    donation = models.ForeignKey(
        "donations.Donation", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_transactions"
    )
    expense = models.ForeignKey(
        "donations.Expense", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_transactions"
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("ledger transaction")
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uuid}"


class LedgerEntry(models.Model):
    """One posting line: the unit of the hash chain and a leaf of the Merkle tree (leaf = seq - 1)."""

    seq = models.BigIntegerField(_("number"), unique=True)
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    # The canonical form's fields, copied here so an entry verifies on its own.
    transaction_uuid = models.CharField(max_length=36)
    kind = models.CharField(max_length=24)
    account_code = models.CharField(max_length=120)
    amount_minor = models.BigIntegerField(_("amount (minor units, debit +, credit -)"))
    currency = models.CharField(_("currency"), max_length=3)
    occurred_at = models.DateTimeField(_("occurred at"))
    source_key = models.CharField(max_length=255)
    designation = models.CharField(_("designation"), max_length=64, blank=True)
    donor_commitment = models.CharField(max_length=64, blank=True)
    chain_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["seq"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_entry_amount_not_zero"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="ledger_entry_seq_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="ledger_entry_currency_code"),
        ]
        indexes = [
            models.Index(fields=["account", "occurred_at"]),
            models.Index(fields=["designation", "occurred_at"]),
            models.Index(fields=["currency", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.account_code} {self.amount_minor} {self.currency}"


class LedgerHead(models.Model):
    """The single row every append locks: the last entry's number and chain hash, and the tree's size."""

    last_seq = models.BigIntegerField(default=0)
    last_chain_hash = models.CharField(max_length=64, default="0" * 64)
    # The complete subtrees on the tree's right edge, [[height, hash hex], ...]: the next leaf joins them.
    frontier = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ledger head")

    def __str__(self) -> str:
        return f"{self.last_seq} entries"


class MerkleNode(models.Model):
    """A complete subtree of the Merkle tree: height 0 are the leaf hashes; index counts from the left."""

    height = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["height", "index"], name="merkle_node_once")]

    def __str__(self) -> str:
        return f"{self.height}/{self.index}"


class Checkpoint(models.Model):
    """A signed tree head: the tree's size and root at a moment, signed with the organisation's key."""

    tree_size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    timestamp = models.CharField(max_length=32, help_text=_("UTC, ISO 8601, as signed."))
    organisation = models.CharField(max_length=200)
    public_key = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("checkpoint")
        ordering = ["-tree_size"]
        get_latest_by = "tree_size"

    def __str__(self) -> str:
        return f"{self.tree_size} @ {self.timestamp}"

    def as_dict(self) -> dict:
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
            "organisation": self.organisation,
            "public_key": self.public_key,
            "signature": self.signature,
        }


class DonorSalt(models.Model):
    """The secret that makes a donor's commitment in the ledger: delete it and the entries name nobody."""

    supporter = models.OneToOneField(Supporter, on_delete=models.CASCADE, related_name="ledger_salt")
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"salt for supporter {self.supporter_id}"


class Expense(models.Model):
    """Money spent or granted, recorded by one staff member and posted only when another approves it."""

    class Kind(models.TextChoices):
        EXPENSE = "expense", _("Expense")
        DISBURSEMENT = "disbursement", _("Disbursement (grant or aid paid out)")

    class Category(models.TextChoices):
        PROGRAMMES = "programmes", _("Programmes")
        AID = "aid", _("Direct aid")
        FUNDRAISING = "fundraising", _("Fundraising")
        ADMINISTRATION = "administration", _("Administration")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting approval")
        APPROVED = "approved", _("Approved and posted")
        REJECTED = "rejected", _("Rejected")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.EXPENSE)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    fund = models.ForeignKey(
        "donations.Fund", verbose_name=_("fund"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    designation_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("campaign page"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    paid_on = models.DateField(_("paid on"))
    payee = models.CharField(_("paid to"), max_length=200)
    description = models.TextField(_("what it paid for"), max_length=1000)
    public_summary = models.CharField(
        _("public summary"), max_length=200, blank=True, help_text=_("Shown on the transparency page.")
    )
    evidence = models.FileField(_("evidence"), upload_to="expenses/%Y/%m/", storage=private_storage)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("expense")
        ordering = ["-submitted_at"]
        permissions = [("approve_expense", "Can approve expenses (never one's own)")]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="expense_amount_positive")]

    def __str__(self) -> str:
        return f"{self.payee} {self.amount_minor} {self.currency}"


class AuditEntry(models.Model):
    """What staff did to money: refunds, offline gifts, expenses and their approval, receipts voided."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=48, db_index=True)
    object_type = models.CharField(max_length=48)
    object_id = models.CharField(max_length=64)
    summary = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.summary}"
