"""Virtual marches: the page, its call slots, participants, their actions, queued letters and batched counters.

Everything a march records hangs off its *canonical* page (the original, in
the language it was first written): an English march and its Arabic
translation share one set of slots, one roll of participants and one set of
counters, so a translation never doubles an office's call rate.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page

from cms.models import CachedPage

__all__ = [
    "MERGE_FIELDS",
    "MarchAction",
    "MarchCounter",
    "MarchLetter",
    "MarchParticipant",
    "MarchSlot",
    "SlotPlan",
    "VirtualMarchPage",
    "letter_merge_fields_check",
    "slot_plan",
]

# The fields a letter template may use, and what each is filled with.
MERGE_FIELDS = {
    "target_name": _("the official's name"),
    "target_role": _("the official's role"),
    "target_office": _("the official's office"),
    "supporter_name": _("the supporter's name"),
    "supporter_region": _("the supporter's region"),
    "march_title": _("the march's title"),
}
TIME_ZONES = sorted(available_timezones() - {"Factory", "localtime"})


def letter_merge_fields_check(template: str) -> None:
    """Refuse a letter template with unknown merge fields or broken braces, saying which."""
    try:
        names = [name for _text, name, _spec, _conv in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise ValidationError(
            _("The letter has an unmatched { or }: write merge fields as {target_name}. (%(error)s)"),
            params={"error": error},
        ) from error
    unknown = sorted({name for name in names if name not in MERGE_FIELDS})
    if unknown:
        raise ValidationError(
            _("Unknown merge fields: %(unknown)s. You can use: %(known)s."),
            params={
                "unknown": ", ".join("{" + name + "}" for name in unknown),
                "known": ", ".join("{" + name + "}" for name in MERGE_FIELDS),
            },
        )


@dataclass(frozen=True)
class SlotPlan:
    """How long each slot lasts and how many people it holds, so an office gets at most ``rate`` calls a minute."""

    minutes: int
    capacity: int

    def call_offset(self, position: int, rate: Decimal) -> timedelta:
        """When, from the slot's start, the participant in ``position`` (0-based) should call: evenly spaced."""
        return timedelta(seconds=math.floor(Decimal(position) * 60 / Decimal(rate)))


def slot_plan(calls_per_minute: Decimal, preferred_minutes: int) -> SlotPlan:
    """Slot length and capacity from the calls-per-minute ceiling.

    A slot lasts ``preferred_minutes``, or longer when the rate is under one
    call per that many minutes (so a slot always holds at least one person);
    it holds ``floor(rate × minutes)`` people, each given a moment inside it
    ``1 / rate`` minutes after the one before, so calls arrive evenly.
    """
    rate = Decimal(calls_per_minute)
    if rate <= 0:
        raise ValueError("calls_per_minute must be positive")
    minutes = max(int(preferred_minutes), math.ceil(Decimal(1) / rate), 1)
    return SlotPlan(minutes=minutes, capacity=max(1, math.floor(rate * minutes)))


class VirtualMarchPage(RoutablePageMixin, CachedPage):
    """A scheduled, time-boxed mass action: participants book a time to call an official, or write to them."""

    class LetterPeriod(models.TextChoices):
        MINUTE = "minute", _("per minute")
        HOUR = "hour", _("per hour")

    intro = models.TextField(_("introduction"), max_length=1000, blank=True)
    window_date = models.DateField(_("date of the march"))
    start_time = models.TimeField(_("starts at"))
    end_time = models.TimeField(_("ends at"), help_text=_("An end before the start means the next day."))
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Asia/Amman",
        help_text=_("The date and times above are in this time zone."),
    )
    targets = ParentalManyToManyField("campaigns.Target", verbose_name=_("targets"), related_name="marches", blank=True)
    calls_per_minute = models.DecimalField(
        _("calls per minute to each office"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("The most calls an office should get in any one minute (0.5 means one every two minutes)."),
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length in minutes"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("Slots are made longer if the rate above would leave a slot empty."),
    )
    talking_points = RichTextField(_("talking points"), features=["bold", "italic", "ol", "ul", "link"], blank=True)
    call_script = models.TextField(_("call script"), blank=True)
    letter_subject = models.CharField(_("letter subject"), max_length=200, blank=True)
    letter_template = models.TextField(
        _("letter"),
        blank=True,
        help_text=_(
            "Merge fields: {target_name}, {target_role}, {target_office}, {supporter_name}, "
            "{supporter_region}, {march_title}."
        ),
    )
    letters_by_our_mail = models.BooleanField(
        _("send letters from our mail system"),
        default=True,
        help_text=_(
            "Untick to let supporters write themselves (through the official's web form or a prefilled email)."
        ),
    )
    letters_per_target = models.PositiveIntegerField(
        _("most letters to each official"), default=30, validators=[MinValueValidator(1)]
    )
    letters_period = models.CharField(
        _("in each"), max_length=8, choices=LetterPeriod.choices, default=LetterPeriod.HOUR
    )

    parent_page_types = ["campaigns.CampaignPage"]
    subpage_types: list[str] = []
    template = "campaigns/marches/march_page.html"

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        MultiFieldPanel(
            [
                FieldPanel("window_date"),
                FieldRowPanel([FieldPanel("start_time"), FieldPanel("end_time")]),
                FieldPanel("time_zone", widget=forms.Select(choices=[(name, name) for name in TIME_ZONES])),
            ],
            heading=_("Window"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("targets", widget=forms.CheckboxSelectMultiple),
                FieldRowPanel([FieldPanel("calls_per_minute"), FieldPanel("slot_minutes")]),
            ],
            heading=_("Who is called, and how fast"),
        ),
        FieldPanel("talking_points"),
        FieldPanel("call_script"),
        MultiFieldPanel(
            [
                FieldPanel("letter_subject"),
                FieldPanel("letter_template"),
                FieldPanel("letters_by_our_mail"),
                FieldRowPanel([FieldPanel("letters_per_target"), FieldPanel("letters_period")]),
            ],
            heading=_("Letter"),
        ),
    ]

    class Meta:
        verbose_name = _("virtual march")
        verbose_name_plural = _("virtual marches")

    # -- the window -------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone or "UTC")
        except (ValueError, KeyError):
            return ZoneInfo("UTC")

    @property
    def window_start(self) -> datetime:
        return datetime.combine(self.window_date, self.start_time, tzinfo=self.zone)

    @property
    def window_end(self) -> datetime:
        """The end; an end time at or before the start time is on the next day (a march from 20:00 to 02:00)."""
        day = self.window_date + timedelta(days=1) if self.end_time <= self.start_time else self.window_date
        return datetime.combine(day, self.end_time, tzinfo=self.zone)

    def state(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if now < self.window_start:
            return "upcoming"
        if now < self.window_end:
            return "live"
        return "ended"

    @property
    def plan(self) -> SlotPlan:
        return slot_plan(self.calls_per_minute, self.slot_minutes)

    @property
    def letter_period_seconds(self) -> int:
        return 60 if self.letters_period == self.LetterPeriod.MINUTE else 3600

    def canonical(self) -> VirtualMarchPage:
        """The page that holds this march's slots, participants and counters (the original of its translations)."""
        if self.pk is None:
            return self
        first = VirtualMarchPage.objects.filter(translation_key=self.translation_key).order_by("pk").only("pk").first()
        if first is None or first.pk == self.pk:
            return self
        return VirtualMarchPage.objects.get(pk=first.pk)

    def in_language(self, language: str) -> VirtualMarchPage:
        """The translation of this march for ``language`` (falling back to this page)."""
        found = (
            VirtualMarchPage.objects.filter(translation_key=self.translation_key, locale__language_code=language)
            .live()
            .first()
        )
        return found or self

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.time_zone not in TIME_ZONES:
            errors["time_zone"] = _("Choose a time zone from the list, such as Asia/Amman.")
        if self.start_time and self.end_time and self.end_time == self.start_time:
            errors["end_time"] = _("The march must end at a different time than it starts.")
        if self.letter_template:
            try:
                letter_merge_fields_check(self.letter_template)
            except ValidationError as error:
                errors["letter_template"] = error
        if self.letter_subject:
            try:
                letter_merge_fields_check(self.letter_subject)
            except ValidationError as error:
                errors["letter_subject"] = error
        if errors:
            raise ValidationError(errors)

    # -- the campaign's goal ------------------------------------------------------

    def campaign_goal_contribution(self, kind: str) -> int:
        """Calls reported plus letters sent, for an "actions" goal (read from the folded counters)."""
        if kind != "actions":
            return 0
        from campaigns.marches.selectors import march_counts

        # A translation reports the shared counts: it sits below its own campaign's translation.
        totals = march_counts(march_id=self.canonical().pk)["totals"]
        return int(totals["calls"]) + int(totals["letters"])

    # -- public views ---------------------------------------------------------------

    @path("")
    def march(self, request: HttpRequest) -> Any:
        from campaigns.marches import views

        return views.march_page(request, self)

    @path("room/")
    def room(self, request: HttpRequest) -> Any:
        from campaigns.marches import views

        return views.march_room(request, self)

    @path("summary/")
    def summary(self, request: HttpRequest) -> Any:
        from campaigns.marches import views

        return views.march_summary(request, self)


class MarchSlot(models.Model):
    """A stretch of the window for one office: holds ``capacity`` callers, ``booked`` of them taken."""

    march = models.ForeignKey(VirtualMarchPage, on_delete=models.CASCADE, related_name="slots")
    target = models.ForeignKey("campaigns.Target", on_delete=models.PROTECT, related_name="march_slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    booked = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("march slot")
        ordering = ["starts_at", "target_id"]
        constraints = [
            models.UniqueConstraint(fields=["march", "target", "starts_at"], name="march_slot_unique"),
            models.CheckConstraint(condition=models.Q(booked__lte=models.F("capacity")), name="march_slot_not_over"),
        ]
        indexes = [models.Index(fields=["march", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.starts_at:%H:%M} {self.target_id}"

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.booked)


def _token() -> str:
    import secrets

    return secrets.token_urlsafe(24)


class MarchParticipant(models.Model):
    """One person's registration for a march (one per email), with the office and time they were given."""

    march = models.ForeignKey(VirtualMarchPage, on_delete=models.CASCADE, related_name="participants")
    supporter = models.ForeignKey("supporters.Supporter", on_delete=models.CASCADE, related_name="march_entries")
    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(_("region"), max_length=120)
    language = models.CharField(_("language"), max_length=8, default="en")
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    target = models.ForeignKey(
        "campaigns.Target", verbose_name=_("target"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    slot = models.ForeignKey(MarchSlot, null=True, blank=True, on_delete=models.PROTECT, related_name="participants")
    call_at = models.DateTimeField(_("call at"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_day_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_soon_sent_at = models.DateTimeField(null=True, blank=True)
    counted = models.BooleanField(default=False, help_text="Folded into the counters.")

    class Meta:
        verbose_name = _("march participant")
        verbose_name_plural = _("march participants")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["march", "supporter"], name="march_participant_once"),
        ]
        indexes = [
            models.Index(fields=["march"], condition=models.Q(counted=False), name="march_participant_unfolded"),
            models.Index(fields=["call_at"], name="march_participant_call_at"),
            models.Index(fields=["created_at"], name="march_participant_created"),  # Insights' advocacy fold
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def email(self) -> str:
        return self.supporter.email


class MarchAction(models.Model):
    """Something a participant did for a target: a call (with its outcome) or a letter. Once per kind and target."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        LETTER = "letter", _("Letter")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("I spoke to someone")
        VOICEMAIL = "voicemail", _("I left a voicemail")
        BUSY = "busy", _("The line was busy")
        NO_ANSWER = "no_answer", _("No one answered")

    march = models.ForeignKey(VirtualMarchPage, on_delete=models.CASCADE, related_name="actions")
    participant = models.ForeignKey(MarchParticipant, on_delete=models.CASCADE, related_name="actions")
    target = models.ForeignKey("campaigns.Target", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    region = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    counted = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("march action")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "target", "kind"], name="march_action_once"),
        ]
        indexes = [
            models.Index(fields=["march"], condition=models.Q(counted=False), name="march_action_unfolded"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target_id}"


class MarchLetter(models.Model):
    """A letter to a target: queued, then sent by our mail system within the target's limit; or sent by hand."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        SELF_SENT = "self_sent", _("Sent by the supporter")

    action = models.OneToOneField(MarchAction, on_delete=models.CASCADE, related_name="letter")
    march = models.ForeignKey(VirtualMarchPage, on_delete=models.CASCADE, related_name="letters")
    target = models.ForeignKey("campaigns.Target", on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    reply_to = models.EmailField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("march letter")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["march", "target", "status", "created_at"]),
            models.Index(fields=["target", "sent_at"]),
        ]

    def __str__(self) -> str:
        return self.subject


class MarchCounter(models.Model):
    """Folded totals for a march: one row for all of it, one per region and one per target."""

    class Scope(models.TextChoices):
        ALL = "all", "all"
        REGION = "region", "region"
        TARGET = "target", "target"

    march = models.ForeignKey(VirtualMarchPage, on_delete=models.CASCADE, related_name="counters")
    scope = models.CharField(max_length=8, choices=Scope.choices)
    key = models.CharField(max_length=120, blank=True)
    registered = models.PositiveBigIntegerField(default=0)
    calls = models.PositiveBigIntegerField(default=0)
    letters = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("march counter")
        constraints = [models.UniqueConstraint(fields=["march", "scope", "key"], name="march_counter_unique")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


from campaigns.marches import signals  # noqa: E402, F401
