"""Insights' tables: exchange rates, the per-gift fold record, the rollups and spike notes.

A gift counts once it is paid, for what it is still worth: its amount less
what was refunded (nothing once a dispute is lost), converted to the
organisation's reporting currency in integer minor units. ``GiftFact`` keeps
what each gift last contributed, so folding a gift again applies only the
difference (nothing when nothing changed, a subtraction after a refund).
Scope keys are integers with 0 for "none", so the rollups' unique keys hold.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cms.currencies import SUPPORTED_CURRENCIES

CURRENCY_CHOICES = [(code, code) for code in SUPPORTED_CURRENCIES]


class ExchangeRate(models.Model):
    """One unit of ``currency`` is worth ``rate`` units of ``reporting_currency`` from ``valid_from`` on."""

    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    reporting_currency = models.CharField(_("reporting currency"), max_length=3, choices=CURRENCY_CHOICES)
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(
        _("rate"),
        max_digits=24,
        decimal_places=12,
        help_text=_("How much one unit of the currency is worth in the reporting currency (major units)."),
    )
    source = models.CharField(_("source"), max_length=120, blank=True, help_text=_("Where the rate came from."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "reporting_currency", "valid_from"], name="insights_rate_once"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="insights_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate.normalize():f} {self.reporting_currency} ({self.valid_from:%Y-%m-%d})"


class FoldState(models.Model):
    """The fold's progress: one row, locked while a fold or a rebuild runs."""

    cursor = models.DateTimeField(null=True, blank=True, help_text=_("Gifts changed before this are folded."))
    reporting_currency = models.CharField(max_length=3, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    dirty_currencies = models.JSONField(default=list, blank=True)
    actions_cursor = models.DateTimeField(
        null=True, blank=True, help_text=_("Actions (signatures, march registrations) changed before this are folded.")
    )
    folded_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    # Bumped whenever a figure can have changed (a fold that changed something, an annotation):
    # the pages' cache keys carry it.
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("insights fold state")

    def __str__(self) -> str:
        return f"folded to {self.cursor}"


class GiftFact(models.Model):
    """What one paid gift contributes to the rollups, as last folded."""

    donation = models.OneToOneField("donations.Donation", on_delete=models.CASCADE, related_name="+")
    supporter_id = models.BigIntegerField(db_index=True)
    recurring_gift_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    occurred_at = models.DateTimeField()
    # The donation's updated_at when this was folded: a fold skips donations not changed since.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    local_date = models.DateField()
    local_hour = models.PositiveSmallIntegerField()
    weekday = models.PositiveSmallIntegerField(help_text="0 is Monday.")
    surface = models.CharField(max_length=16)
    frequency = models.CharField(max_length=16)
    page_id = models.BigIntegerField(default=0)
    fund_id = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    net_minor = models.BigIntegerField(help_text="In the gift's currency, less refunds.")
    amount = models.BigIntegerField(help_text="In the reporting currency's minor units.")
    reporting_currency = models.CharField(max_length=3)
    rate_id = models.BigIntegerField(null=True, blank=True)
    converted = models.BooleanField(default=True, help_text="False: no rate for its currency and date yet.")
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    referrer_class = models.CharField(max_length=16, blank=True)
    device_class = models.CharField(max_length=16, blank=True)
    payment_method_type = models.CharField(max_length=32, blank=True)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        verbose_name = _("gift fact")
        permissions = [("view_insights", "Can view giving insights")]
        indexes = [
            models.Index(fields=["local_date"]),
            models.Index(fields=["currency"], condition=Q(converted=False), name="insights_fact_unconverted"),
            # The fold reads a touched donor's or monthly gift's facts from these alone (index-only on PostgreSQL),
            # the donor one for the advocacy rollup too (their gifts after a first action); the donation tells
            # the fold which of them it just wrote.
            models.Index(
                fields=["supporter_id", "occurred_at"],
                include=["local_date", "surface", "page_id", "fund_id", "donation_id"],
                condition=Q(converted=True),
                name="insights_fact_donor",
            ),
            models.Index(
                fields=["recurring_gift_id", "local_date"],
                include=["amount", "surface", "page_id", "fund_id"],
                condition=Q(converted=True, recurring_gift_id__isnull=False),
                name="insights_fact_recurring",
            ),
        ]

    def __str__(self) -> str:
        return f"gift {self.donation_id}: {self.amount} {self.reporting_currency}"


class ScopedCells(models.Model):
    """Paid gifts and their amount per local date and scope (channel, frequency, designation page, fund):
    what the hourly, daily and source rollups share (abstract)."""

    local_date = models.DateField()
    surface = models.CharField(max_length=16)
    frequency = models.CharField(max_length=16)
    page_id = models.BigIntegerField(default=0)
    fund_id = models.BigIntegerField(default=0)
    gifts = models.BigIntegerField(default=0)
    amount = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class HourlyCells(ScopedCells):
    """Per local hour and exchange rate used too (abstract: a day's or a month's)."""

    local_hour = models.PositiveSmallIntegerField()
    weekday = models.PositiveSmallIntegerField()
    rate_id = models.BigIntegerField(default=0, help_text="The exchange rate used; 0 for none.")

    KEY = ("local_date", "local_hour", "weekday", "surface", "frequency", "page_id", "fund_id", "rate_id")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.local_date} {self.local_hour}h: {self.gifts}"


class HourlyRollup(HourlyCells):
    """Paid gifts per local date and hour, channel, frequency and designation."""

    class Meta:
        verbose_name = _("hourly giving rollup")
        constraints = [models.UniqueConstraint(fields=HourlyCells.KEY, name="insights_hourly_key")]


class HourlyMonthRollup(HourlyCells):
    """HourlyRollup summed over each month (``local_date`` its first day): the heatmap of whole months."""

    class Meta:
        verbose_name = _("hourly giving rollup by month")
        constraints = [models.UniqueConstraint(fields=HourlyCells.KEY, name="insights_hourly_month_key")]


class DailyCells(ScopedCells):
    """Per exchange rate used too (abstract: a day's or a month's)."""

    rate_id = models.BigIntegerField(default=0, help_text="The exchange rate used; 0 for none.")

    KEY = ("local_date", "surface", "frequency", "page_id", "fund_id", "rate_id")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.local_date}: {self.gifts}"


class DailyRollup(DailyCells):
    """HourlyRollup summed over the day's hours: what the daily series, calendars, splits and rates read.

    A tenth of the hourly rows or fewer; only the weekday-by-hour heatmap needs the hours.
    """

    class Meta:
        verbose_name = _("daily giving rollup")
        constraints = [models.UniqueConstraint(fields=DailyCells.KEY, name="insights_daily_key")]


class DailyMonthRollup(DailyCells):
    """DailyRollup summed over each month (``local_date`` its first day): splits and rates of whole months."""

    class Meta:
        verbose_name = _("giving rollup by month")
        constraints = [models.UniqueConstraint(fields=DailyCells.KEY, name="insights_daily_month_key")]


class SourceCells(ScopedCells):
    """Per value of one source dimension (UTM, device, payment method, country...) too (abstract)."""

    dimension = models.CharField(max_length=24)
    value = models.CharField(max_length=100, blank=True)

    KEY = ("local_date", "surface", "frequency", "page_id", "fund_id", "dimension", "value")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.local_date} {self.dimension}={self.value}: {self.gifts}"


class SourceRollup(SourceCells):
    """Paid gifts per day by one source dimension (UTM, device, payment method, country...)."""

    class Meta:
        verbose_name = _("giving by source rollup")
        constraints = [models.UniqueConstraint(fields=SourceCells.KEY, name="insights_source_key")]
        indexes = [models.Index(fields=["dimension", "local_date"])]


class SourceMonthRollup(SourceCells):
    """SourceRollup summed over each month (``local_date`` its first day): a twentieth of the rows."""

    class Meta:
        verbose_name = _("giving by source rollup by month")
        constraints = [models.UniqueConstraint(fields=SourceCells.KEY, name="insights_source_month_key")]
        indexes = [models.Index(fields=["dimension", "local_date"], name="insights_source_month_dim")]


# Each day-grain rollup and its month-grain sum (kept by the same fold, read for whole months).
MONTHLY: dict[type[models.Model], type[models.Model]] = {
    HourlyRollup: HourlyMonthRollup,
    DailyRollup: DailyMonthRollup,
    SourceRollup: SourceMonthRollup,
}


class DonorRollup(models.Model):
    """Donor counts per local date and slice (the whole organisation, one channel, one page or one fund).

    ``active`` is on the first day of a month: donors who gave that month. ``first`` counts donors
    whose first gift was that day and ``repeat`` those of them who gave again; ``latest`` donors
    whose latest gift was that day. The fold keeps it by the difference of each touched donor's
    profile before and after, so no page groups the gifts by donor.
    """

    local_date = models.DateField()
    slice = models.CharField(max_length=8, blank=True, help_text="'' (all), surface, page or fund.")
    value = models.CharField(max_length=32, blank=True)
    active = models.BigIntegerField(default=0)
    first = models.BigIntegerField(default=0)
    repeat = models.BigIntegerField(default=0)
    latest = models.BigIntegerField(default=0)

    KEY = ("local_date", "slice", "value")
    COUNTS = ("active", "first", "repeat", "latest")

    class Meta:
        verbose_name = _("donor rollup")
        constraints = [models.UniqueConstraint(fields=["local_date", "slice", "value"], name="insights_donor_key")]
        indexes = [models.Index(fields=["slice", "value", "local_date"])]

    def __str__(self) -> str:
        return f"{self.local_date} {self.slice}={self.value}: {self.first} new"


class MrrRollup(models.Model):
    """Monthly recurring revenue per month (its first day) and slice, and how it moved from the month before.

    Each monthly gift adds what its own months say (paid this month and not the last: new; the
    last and not this: churned; both: the difference, expanded or contracted), so the fold keeps it
    by the difference of each touched monthly gift's months before and after.
    """

    local_date = models.DateField()
    slice = models.CharField(max_length=8, blank=True)
    value = models.CharField(max_length=32, blank=True)
    mrr = models.BigIntegerField(default=0)
    donors = models.BigIntegerField(default=0)
    new = models.BigIntegerField(default=0)
    expanded = models.BigIntegerField(default=0)
    contracted = models.BigIntegerField(default=0)
    churned = models.BigIntegerField(default=0)

    KEY = ("local_date", "slice", "value")
    COUNTS = ("mrr", "donors", "new", "expanded", "contracted", "churned")

    class Meta:
        verbose_name = _("monthly recurring revenue rollup")
        constraints = [models.UniqueConstraint(fields=["local_date", "slice", "value"], name="insights_mrr_key")]

    def __str__(self) -> str:
        return f"{self.local_date:%Y-%m} {self.slice}={self.value}: {self.mrr}"


class CohortRollup(models.Model):
    """Monthly gifts by the month of their first payment (``local_date``) still paid ``k`` months later."""

    local_date = models.DateField()
    slice = models.CharField(max_length=8, blank=True)
    value = models.CharField(max_length=32, blank=True)
    k = models.PositiveSmallIntegerField()
    donors = models.BigIntegerField(default=0)

    KEY = ("local_date", "slice", "value", "k")
    COUNTS = ("donors",)

    class Meta:
        verbose_name = _("retention cohort rollup")
        constraints = [
            models.UniqueConstraint(fields=["local_date", "slice", "value", "k"], name="insights_cohort_key")
        ]

    def __str__(self) -> str:
        return f"{self.local_date:%Y-%m} +{self.k} {self.slice}={self.value}: {self.donors}"


class AdvocacyFirst(models.Model):
    """A supporter's first action of one advocacy source (``signatures``, ``marches``), as last folded.

    The advocacy fold compares what a supporter contributes to AdvocacyRollup before and after
    their actions or gifts change; this is the "before" side of their actions.
    """

    source = models.CharField(max_length=24)
    supporter_id = models.BigIntegerField()
    first_at = models.DateTimeField()
    first_date = models.DateField(help_text="first_at's date in the organisation's time zone.")

    class Meta:
        verbose_name = _("first advocacy action")
        constraints = [models.UniqueConstraint(fields=["supporter_id", "source"], name="insights_advocacy_first_key")]

    def __str__(self) -> str:
        return f"{self.source} {self.supporter_id} {self.first_at:%Y-%m-%d %H:%M}"


class AdvocacyRollup(models.Model):
    """People per advocacy source, first-action day or month, gift slice and wait until their first gift after it.

    ``wait_days`` is whole days from a person's first action to their first gift after it within
    the slice; -1 (kept only in the whole-organisation slice) counts those who have not given since.
    Each person is counted twice: on the day of their first action (``grain`` "d") and on its
    month's first day ("m"), so a range reads months for its whole months and days only for its
    ends. The people who acted are the '' slice's sum, those who gave afterwards the slice's rows
    with a wait, and the median wait comes from their distribution.
    """

    DAY, MONTH = "d", "m"

    grain = models.CharField(max_length=1, choices=[(DAY, "day"), (MONTH, "month")])
    source = models.CharField(max_length=24)
    local_date = models.DateField(help_text="The first action's date (or its month) in the organisation's time zone.")
    slice = models.CharField(max_length=8, blank=True)
    value = models.CharField(max_length=32, blank=True)
    wait_days = models.IntegerField()
    people = models.BigIntegerField(default=0)

    KEY = ("grain", "slice", "value", "local_date", "source", "wait_days")
    COUNTS = ("people",)
    NOT_SINCE = -1

    class Meta:
        verbose_name = _("advocacy rollup")
        constraints = [
            models.UniqueConstraint(
                # The pages read a slice's days or months in a range: the date before the source.
                fields=["grain", "slice", "value", "local_date", "source", "wait_days"],
                name="insights_advocacy_key",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.source} {self.grain}{self.local_date} {self.slice}={self.value} +{self.wait_days}d: {self.people}"
        )


class SpikeAnnotation(models.Model):
    """A note staff wrote about a day ("earthquake appeal"), shown on every time chart."""

    day = models.DateField(_("day"))
    note = models.CharField(_("note"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}: {self.note}"


class DigestSent(models.Model):
    """The weekly digest for a week (its Monday), sent once."""

    week = models.DateField(unique=True)
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("weekly digest sent")

    def __str__(self) -> str:
        return f"digest {self.week}"
