"""Money: funds, fee rules, gifts, monthly gifts, their events, and gateway webhooks.

Amounts are integers in minor units plus an ISO 4217 code. A gift's state is
derived from facts that only ever grow (the latest time each kind of gateway
event happened, the largest refunded total seen, the disputes seen), so events
delivered twice, late or out of order converge to the same state. Every
change is also recorded as a DonationEvent: the timeline staff read and the
single source the ledger and receipts will post from.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from wagtail.search import index

from cms.currencies import SUPPORTED_CURRENCIES, validate_currency
from cms.languages import in_language
from donations.choices import Frequency, GatewayName, Surface
from donations.storage import private_storage
from supporters.models import Supporter

CURRENCY_CHOICES = [(code, code) for code in SUPPORTED_CURRENCIES]


class Fund(index.Indexed, models.Model):
    """Where gifts can be designated, besides a campaign: defined by staff."""

    name = models.CharField(_("name"), max_length=120)
    name_ar = models.CharField(_("name in Arabic"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    zakat_eligible = models.BooleanField(
        _("zakat eligible"), default=False, help_text=_("Gifts to this fund are spent only on zakat-eligible causes.")
    )
    restricted = models.BooleanField(
        _("restricted"), default=True, help_text=_("Gifts may be spent only on this fund's purpose.")
    )
    active = models.BooleanField(_("open for gifts"), default=True)

    search_fields = [index.SearchField("name"), index.SearchField("name_ar"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_ar)


class FeeRule(models.Model):
    """The card fee schedule per currency: what 'cover the fee' adds to a gift."""

    currency = models.CharField(_("currency"), max_length=3, unique=True, choices=CURRENCY_CHOICES)
    percent_bp = models.PositiveIntegerField(
        _("percentage, in hundredths of a percent"),
        help_text=_("290 means 2.9%."),
    )
    fixed_minor = models.PositiveIntegerField(
        _("fixed part, in the currency's smallest unit"), help_text=_("30 means 0.30 USD; 200 means 0.200 JOD.")
    )

    class Meta:
        verbose_name = _("fee rule")
        verbose_name_plural = _("fee rules")
        ordering = ["currency"]
        constraints = [models.CheckConstraint(condition=Q(percent_bp__lt=5000), name="fee_rule_percent_below_50")]

    def __str__(self) -> str:
        return f"{self.currency}: {self.percent_bp / 100:g}% + {self.fixed_minor}"


class Designated(models.Model):
    """Where a gift goes: a fund, or a page (a campaign, or the page the form was on)."""

    designation_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("designated to page"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    fund = models.ForeignKey(
        Fund, verbose_name=_("fund"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def designation_label(self) -> str:
        if self.fund_id:
            return self.fund.display_name
        if self.designation_page_id:
            return self.designation_page.specific_deferred.localized.title
        return str(_("Where most needed"))


class RecurringGift(Designated):
    """A monthly gift: a Stripe subscription (or its sandbox twin). Each paid month is a Donation."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", _("Awaiting first payment")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        PAUSED = "paused", _("Paused")
        CANCELED = "canceled", _("Canceled")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    supporter = models.ForeignKey(Supporter, on_delete=models.PROTECT, related_name="recurring_gifts")
    amount_minor = models.BigIntegerField(_("monthly amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    fee_covered_minor = models.BigIntegerField(_("fee covered (minor units)"), default=0)
    gateway = models.CharField(max_length=16, choices=GatewayName.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.INCOMPLETE)
    # The latest subscription status the gateway reported, and when (event time): last writer wins.
    gateway_status = models.CharField(max_length=32, blank=True)
    gateway_status_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    subscription_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    price_id = models.CharField(max_length=255, blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    next_charge_on = models.DateField(null=True, blank=True, help_text=_("The next monthly charge, as last known."))
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"), null=True, blank=True, help_text=_("The day the donor chose for the charge (1 to 28).")
    )
    paused_until = models.DateField(_("paused until"), null=True, blank=True)
    past_due_since = models.DateTimeField(
        _("past due since"), null=True, blank=True, help_text=_("When the gateway's last retry of a payment failed.")
    )
    failed_attempts = models.PositiveSmallIntegerField(
        default=0, help_text=_("Failed tries of the instalment now due (the sandbox's retry schedule).")
    )
    payment_card = models.ForeignKey(
        "donations.PaymentCard", null=True, blank=True, on_delete=models.SET_NULL, related_name="recurring_gifts"
    )
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("monthly gift")
        verbose_name_plural = _("monthly gifts")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="recurring_amount_positive"),
            models.CheckConstraint(condition=Q(currency__in=SUPPORTED_CURRENCIES), name="recurring_currency_supported"),
            models.CheckConstraint(
                condition=Q(day_of_month__isnull=True) | Q(day_of_month__gte=1, day_of_month__lte=28),
                name="recurring_day_of_month_1_28",
            ),
        ]

    def __str__(self) -> str:
        from donations.money import format_money

        return f"{format_money(self.amount_minor, self.currency)} / {_('month')} · {self.supporter}"


class Donation(Designated):
    """One gift: a one-time payment, one month of a monthly gift, or an offline gift."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        REQUIRES_ACTION = "requires_action", _("Awaiting authentication")
        PROCESSING = "processing", _("Processing")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")
        DISPUTED = "disputed", _("Disputed")
        DISPUTE_LOST = "dispute_lost", _("Dispute lost")

    class DisputeStatus(models.TextChoices):
        NONE = "", _("None")
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    class Tribute(models.TextChoices):
        NONE = "", _("No tribute")
        HONOUR = "honour", _("In honour of")
        MEMORY = "memory", _("In memory of")

    Surface = Surface

    class OfflineMethod(models.TextChoices):
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The donor's form submission: every retry of the same form carries the same id.
    attempt_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    supporter = models.ForeignKey(Supporter, on_delete=models.PROTECT, related_name="donations")
    recurring_gift = models.ForeignKey(
        RecurringGift, null=True, blank=True, on_delete=models.PROTECT, related_name="donations"
    )
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    fee_covered_minor = models.BigIntegerField(_("fee covered by the donor (minor units)"), default=0)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices, default=Frequency.ONE_TIME)
    gateway = models.CharField(_("gateway"), max_length=16, choices=GatewayName.choices)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.PENDING)

    # Facts from the gateway's events (event times), only ever moved forward.
    requires_action_at = models.DateTimeField(null=True, blank=True)
    processing_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    amount_refunded_minor = models.BigIntegerField(_("refunded (minor units)"), default=0)
    dispute_status = models.CharField(max_length=8, choices=DisputeStatus.choices, blank=True, default="")
    processor_fee_minor = models.BigIntegerField(_("processor fee (minor units)"), null=True, blank=True)

    # References at the gateway.
    payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    invoice_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    charge_id = models.CharField(max_length=255, blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    client_secret = models.CharField(max_length=255, blank=True, editable=False)
    payment_method_type = models.CharField(max_length=32, blank=True)
    card_brand = models.CharField(max_length=32, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)

    # What the donor chose.
    anonymous = models.BooleanField(_("anonymous to the public"), default=False)
    message = models.TextField(_("message"), blank=True, max_length=500)
    tribute = models.CharField(_("tribute"), max_length=8, choices=Tribute.choices, blank=True, default="")
    tribute_name = models.CharField(_("tribute name"), max_length=200, blank=True)
    tribute_notify_name = models.CharField(_("notify (name)"), max_length=200, blank=True)
    tribute_notify_email = models.EmailField(_("notify (email)"), blank=True)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    address_city = models.CharField(_("town or city"), max_length=100, blank=True)
    address_postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    address_country = CountryField(_("country"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")

    # Where the gift came from, for analytics.
    surface = models.CharField(_("surface"), max_length=16, choices=Surface.choices, default=Surface.PAGE)
    source_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    referrer_class = models.CharField(_("referrer"), max_length=16, blank=True)
    device_class = models.CharField(_("device"), max_length=16, blank=True)
    # A keyed hash of the donor's address (never the address): failed payments count against it.
    velocity_ip_key = models.CharField(max_length=64, blank=True, editable=False)

    # Offline gifts recorded by staff.
    offline_method = models.CharField(max_length=16, choices=OfflineMethod.choices, blank=True)
    offline_reference = models.CharField(_("reference"), max_length=120, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    evidence = models.FileField(
        _("evidence"), upload_to="evidence/%Y/%m/", storage=private_storage, blank=True, max_length=255
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    tribute_notice_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-created_at"]
        permissions = [
            ("refund_donation", "Can refund donations"),
            ("record_offline_donation", "Can record offline donations"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="donation_amount_positive"),
            models.CheckConstraint(
                condition=Q(fee_covered_minor__gte=0) & Q(fee_covered_minor__lt=F("amount_minor")),
                name="donation_fee_covered_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded_minor__gte=0) & Q(amount_refunded_minor__lte=F("amount_minor")),
                name="donation_refund_within_amount",
            ),
            models.CheckConstraint(condition=Q(currency__in=SUPPORTED_CURRENCIES), name="donation_currency_supported"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["currency", "-created_at"]),
            # Insights' fold reads the gifts changed since its cursor, page by page in this order.
            models.Index(fields=["updated_at", "id"], name="donations_changed"),
        ]

    def __str__(self) -> str:
        from donations.money import format_money

        return f"{format_money(self.amount_minor, self.currency)} · {self.short_reference}"

    @property
    def short_reference(self) -> str:
        return str(self.reference).split("-")[0].upper()

    short_reference.fget.short_description = _("reference")

    @property
    def paid(self) -> bool:
        return self.succeeded_at is not None

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.amount_refunded_minor if self.paid else 0

    def derive_status(self) -> str:
        """The state the facts add up to, whatever order they arrived in."""
        status = Donation.Status
        if self.dispute_status == Donation.DisputeStatus.LOST:
            return status.DISPUTE_LOST
        if self.dispute_status == Donation.DisputeStatus.OPEN:
            return status.DISPUTED
        if self.succeeded_at:
            if self.amount_refunded_minor >= self.amount_minor:
                return status.REFUNDED
            if self.amount_refunded_minor > 0:
                return status.PARTIALLY_REFUNDED
            return status.SUCCEEDED
        latest = max(
            (
                (self.failed_at, status.FAILED),
                (self.processing_at, status.PROCESSING),
                (self.requires_action_at, status.REQUIRES_ACTION),
            ),
            key=lambda fact: (fact[0] is not None, fact[0] or 0),
        )
        return latest[1] if latest[0] else status.PENDING


class DonationEvent(models.Model):
    """Something that happened to a gift: its timeline, and what the ledger posts from.

    ``key`` names the source (a gateway event, a staff action) so an event is
    recorded once however often it is delivered.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Gift started")
        REQUIRES_ACTION = "requires_action", _("Authentication requested")
        PROCESSING = "processing", _("Payment processing")
        SUCCEEDED = "succeeded", _("Payment succeeded")
        FAILED = "failed", _("Payment failed")
        REFUNDED = "refunded", _("Refunded")
        DISPUTE_OPENED = "dispute_opened", _("Dispute opened")
        DISPUTE_WON = "dispute_won", _("Dispute won")
        DISPUTE_LOST = "dispute_lost", _("Dispute lost")
        OFFLINE_RECORDED = "offline_recorded", _("Offline gift recorded")
        REFUND_REQUESTED = "refund_requested", _("Refund requested by staff")
        CONFIRMATION_SENT = "confirmation_sent", _("Confirmation email sent")
        TRIBUTE_NOTICE_SENT = "tribute_notice_sent", _("Tribute notice sent")
        SUBSCRIPTION_UPDATED = "subscription_updated", _("Monthly gift updated")
        SUBSCRIPTION_CANCELED = "subscription_canceled", _("Monthly gift canceled")
        PAYOUT_PAID = "payout_paid", _("Payout paid to the bank")
        AMOUNT_CHANGED = "amount_changed", _("Monthly amount changed by the donor")
        DAY_CHANGED = "day_changed", _("Day of the month changed by the donor")
        PAUSED = "paused", _("Monthly gift paused by the donor")
        RESUMED = "resumed", _("Monthly gift resumed by the donor")
        CANCELED_BY_DONOR = "canceled_by_donor", _("Monthly gift canceled by the donor")
        CARD_UPDATED = "card_updated", _("Card updated by the donor")
        PAYMENT_FAILED_NOTICE = "payment_failed_notice", _("Failed payment email sent")
        CARD_EXPIRY_WARNING = "card_expiry_warning", _("Card expiry warning sent")
        PAST_DUE = "past_due", _("Final retry failed: monthly gift past due")

    key = models.CharField(max_length=255, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    donation = models.ForeignKey(Donation, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    recurring_gift = models.ForeignKey(
        RecurringGift, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    # The money this event moves, where it moves money (a refund: the amount refunded now).
    amount_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    fee_minor = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(help_text=_("When it happened at the source."))
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("donation event")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["kind", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class WebhookEvent(models.Model):
    """An event as the gateway delivered it: stored once by its id, then processed by a task."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored (type not handled)")
        RETRYING = "retrying", _("Waiting to retry")
        FAILED = "failed", _("Failed")

    gateway = models.CharField(max_length=16, choices=GatewayName.choices)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    created = models.DateTimeField(help_text=_("When the gateway created the event."))
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text=_("When a waiting event is tried again."))
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_type} {self.event_id}"


class GatewayCustomer(models.Model):
    """The gateway's customer record for a supporter (a Stripe Customer)."""

    supporter = models.ForeignKey(Supporter, on_delete=models.PROTECT, related_name="+")
    gateway = models.CharField(max_length=16, choices=GatewayName.choices)
    customer_id = models.CharField(max_length=255)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supporter", "gateway"], name="one_customer_per_gateway"),
            models.UniqueConstraint(fields=["gateway", "customer_id"], name="customer_id_once"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.customer_id}"


class PaymentCard(models.Model):
    """A card saved at the gateway that pays a supporter's monthly gifts: brand, last four and expiry only."""

    supporter = models.ForeignKey(Supporter, on_delete=models.PROTECT, related_name="+")
    gateway = models.CharField(max_length=16, choices=GatewayName.choices)
    payment_method_id = models.CharField(max_length=255)
    brand = models.CharField(max_length=32, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # The expiry ("2027-01") the 30-day warning was sent for: once per card and expiry.
    expiry_warned_for = models.CharField(max_length=7, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved card")
        verbose_name_plural = _("saved cards")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "payment_method_id"], name="payment_card_once"),
        ]

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last4}"

    @property
    def expiry_key(self) -> str:
        return f"{self.exp_year:04d}-{self.exp_month:02d}" if self.exp_year and self.exp_month else ""


class RefundRequest(models.Model):
    """A refund staff asked for. Its id is the idempotency key sent to the gateway."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="refund_requests")
    amount_minor = models.BigIntegerField()
    reason = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    gateway_refund_id = models.CharField(max_length=255, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_request_positive")]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.donation.currency} ({self.get_status_display()})"


class DonorSurvey(models.Model):
    """Optional demographic answers, kept apart from the gift and used only in aggregate."""

    class AgeBand(models.TextChoices):
        UNDER_25 = "under_25", _("Under 25")
        AGE_25_34 = "25_34", _("25–34")
        AGE_35_44 = "35_44", _("35–44")
        AGE_45_54 = "45_54", _("45–54")
        AGE_55_64 = "55_64", _("55–64")
        AGE_65_PLUS = "65_plus", _("65 or over")

    class Gender(models.TextChoices):
        WOMAN = "woman", _("Woman")
        MAN = "man", _("Man")
        OTHER = "other", _("Another way")

    supporter = models.ForeignKey(Supporter, on_delete=models.CASCADE, related_name="+")
    age_band = models.CharField(_("age"), max_length=16, choices=AgeBand.choices, blank=True)
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices, blank=True)
    country = CountryField(_("country"), blank=True)
    city = models.CharField(_("town or city"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("donor survey answer")

    def __str__(self) -> str:
        return f"survey {self.pk}"


# The books and the receipts live in their own packages; importing them here registers their models.
from donations.insights.models import (  # noqa: E402, F401
    CohortRollup,
    DigestSent,
    DonorRollup,
    ExchangeRate,
    FoldState,
    GiftFact,
    HourlyRollup,
    MrrRollup,
    SourceRollup,
    SpikeAnnotation,
)
from donations.ledger.models import (  # noqa: E402, F401
    Account,
    AuditEntry,
    Checkpoint,
    DonorSalt,
    Expense,
    LedgerEntry,
    LedgerHead,
    LedgerTransaction,
    MerkleNode,
)
from donations.pages import DonatePage  # noqa: E402, F401 - registers the page type with this app
from donations.receipts.models import (  # noqa: E402, F401
    AnnualStatement,
    Receipt,
    ReceiptChange,
    ReceiptSequence,
    StatementBatch,
)
