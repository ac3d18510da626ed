"""Petitions: the page, its signatures, and the counters the public sees.

Data model
----------
``PetitionPage``
    A Wagtail page (under a CampaignPage or the home page) addressed to one or
    more ``campaigns.Target``: the ask, a goal with ``PetitionMilestone`` rows,
    open and close dates, a ``state`` (draft → open → closed → delivered →
    responded) and the published response. Translations of a petition are
    separate pages sharing a ``translation_key``; they are ONE petition: every
    signature, counter, tally and milestone belongs to the *original* page,
    ``page.canonical`` (the lowest pk among the translations), and the state,
    dates, goal and milestones are read from it. Always filter signatures
    with ``petition=page.canonical``.

``Signature``
    One row per signing attempt that was accepted. ``status`` is pending
    (waiting for the emailed confirmation), confirmed (counts), expired (never
    confirmed in time) or invalidated (staff removed it; ``invalidated_at``,
    ``invalidated_by``, ``invalidated_reason`` say when, who and why). At most
    one pending-or-confirmed row per (petition, ``email_canonical``): a
    partial unique constraint. ``email_domain`` is the domain of the address
    as typed (lower case), ``ip`` the client address, ``source`` form, embed,
    api or import. ``region`` is derived when signing
    (``campaigns.petitions.regions.region_for``). ``email_sent_at`` null means a
    mail is due (the mailer task sends confirmations in batches);
    ``counted_at`` null on a confirmed row means the fold task has not added
    it to the counters yet.

``PetitionCounter`` and ``PetitionTally``
    The folded counts: one counter row per petition (``total``: confirmed
    signatures) and one tally row per (petition, country, region). Only the
    fold task and ``signatures_recount`` write them; the public reads them
    through the cache (``campaigns.petitions.selectors``).

``MilestoneReached``
    When a milestone was first reached, and whether staff and opted-in signers
    have been told (each once).

``DisposableDomain``
    Email domains refused when signing; a snippet staff edit in the admin.

``AdvocacySettings``
    Site settings for petitions: the origins allowed to frame the embeddable
    widget and the addresses told about milestones.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Orderable
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from cms.models import CachedPage

__all__ = [
    "AdvocacySettings",
    "DisposableDomain",
    "MilestoneReached",
    "PetitionCounter",
    "PetitionMilestone",
    "PetitionPage",
    "PetitionTally",
    "Signature",
]

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul"]


class PetitionPage(CachedPage):
    """A petition: the ask, who it is addressed to, its goal, and what happened after."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft (not yet open)")
        OPEN = "open", _("Open for signatures")
        CLOSED = "closed", _("Closed")
        DELIVERED = "delivered", _("Delivered")
        RESPONDED = "responded", _("Responded")

    # Allowed moves between states (a closed petition may reopen).
    TRANSITIONS: dict[str, set[str]] = {
        "draft": {"open"},
        "open": {"closed"},
        "closed": {"open", "delivered"},
        "delivered": {"responded"},
        "responded": set(),
    }

    summary = models.TextField(_("summary"), blank=True, max_length=300, help_text=_("Shown in lists and shares."))
    ask = RichTextField(
        _("the ask"), features=RICH_TEXT_FEATURES, help_text=_("What the petition asks the targets to do.")
    )
    background = RichTextField(_("background"), blank=True, features=[*RICH_TEXT_FEATURES, "h2", "h3"])
    targets = ParentalManyToManyField(
        "campaigns.Target", verbose_name=_("addressed to"), blank=True, related_name="petitions"
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT)
    goal = models.PositiveIntegerField(_("goal"), default=1000, help_text=_("Confirmed signatures aimed for."))
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True, help_text=_("Empty: as soon as it is open."))
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True, help_text=_("Empty: no closing date."))
    ask_for_comment = models.BooleanField(_("ask signers for a short comment"), default=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    delivery_note = RichTextField(_("how it was delivered"), blank=True, features=RICH_TEXT_FEATURES)
    response_from = models.CharField(
        _("response from"), max_length=200, blank=True, help_text=_("The target or the organisation.")
    )
    responded_on = models.DateField(_("responded on"), null=True, blank=True)
    response = RichTextField(_("response"), blank=True, features=RICH_TEXT_FEATURES)

    parent_page_types = ["campaigns.CampaignPage", "cms.HomePage"]
    subpage_types: list[str] = []
    template = "campaigns/petitions/petition_page.html"

    content_panels = [
        *CachedPage.content_panels,
        FieldPanel("summary"),
        FieldPanel("ask"),
        FieldPanel("background"),
        FieldPanel("targets"),
        MultiFieldPanel(
            [
                FieldPanel("state"),
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("goal"),
                FieldPanel("ask_for_comment"),
            ],
            heading=_("Signing"),
        ),
        InlinePanel("milestones", label=_("Milestones")),
        MultiFieldPanel(
            [FieldPanel("delivered_on"), FieldPanel("delivery_note")],
            heading=_("Delivery"),
        ),
        MultiFieldPanel(
            [FieldPanel("response_from"), FieldPanel("responded_on"), FieldPanel("response")],
            heading=_("Response"),
        ),
    ]
    search_fields = [
        *CachedPage.search_fields,
        index.SearchField("summary"),
        index.SearchField("ask"),
        index.SearchField("background"),
        index.SearchField("response"),
    ]

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("A petition closes after it opens.")
        if self.pk:
            previous = type(self).objects.filter(pk=self.pk).values_list("state", flat=True).first()
            if previous and previous != self.state and self.state not in self.TRANSITIONS.get(previous, set()):
                errors["state"] = _("A petition cannot go from “%(old)s” to “%(new)s”.") % {
                    "old": self.State(previous).label,
                    "new": self.State(self.state).label,
                }
        if self.state in (self.State.DELIVERED, self.State.RESPONDED) and not self.delivered_on:
            errors["delivered_on"] = _("Say when the petition was delivered.")
        if self.state == self.State.RESPONDED and not (self.response and self.response_from):
            errors["response"] = _("Publish the response and who gave it.")
        if errors:
            raise ValidationError(errors)

    # -- one petition across translations ---------------------------------

    @cached_property
    def canonical(self) -> PetitionPage:
        """The original page of this petition: signatures, counts and milestones belong to it."""
        if not self.pk:
            return self
        first = PetitionPage.objects.filter(translation_key=self.translation_key).order_by("pk").only("pk").first()
        if first is None or first.pk == self.pk:
            return self
        return PetitionPage.objects.get(pk=first.pk)

    # -- state ----------------------------------------------------------------

    def effective_state(self, now: Any = None) -> str:
        """The state a visitor sees: an open petition past its dates shows as not yet open or closed."""
        page = self.canonical
        now = now or timezone.now()
        if page.state == self.State.OPEN:
            if page.opens_at and now < page.opens_at:
                return self.State.DRAFT
            if page.closes_at and now >= page.closes_at:
                return self.State.CLOSED
        return page.state

    def accepts_signatures(self, now: Any = None) -> bool:
        return self.live and self.effective_state(now) == self.State.OPEN

    # -- counts ----------------------------------------------------------------

    def signature_count(self) -> int:
        """Confirmed signatures, from the cached counters (never a COUNT(*))."""
        from campaigns.petitions.selectors import petition_count

        return petition_count(petition_id=self.canonical.pk)

    def campaign_goal_contribution(self, kind: str) -> int:
        return self.signature_count() if kind == "signatures" else 0

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Shared by the page cache like any page, and remembered so a new count evicts it (even without JS)."""
        from campaigns.petitions.selectors import petition_page_cache_remember

        response = super().serve(request, *args, **kwargs)
        petition_page_cache_remember(petition_id=self.canonical.pk, request=request)
        return response

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from campaigns.petitions.forms import SignatureForm
        from campaigns.petitions.selectors import petition_public_context

        context = super().get_context(request, *args, **kwargs)
        context.update(petition_public_context(page=self, request=request))
        context["form"] = SignatureForm(ask_for_comment=self.canonical.ask_for_comment)
        return context


class PetitionMilestone(Orderable):
    """A count worth celebrating: staff and opted-in signers hear when it is reached (once)."""

    page = ParentalKey(PetitionPage, on_delete=models.CASCADE, related_name="milestones")
    count = models.PositiveIntegerField(_("signatures"))
    message = models.TextField(
        _("message to signers"), blank=True, max_length=1000, help_text=_("Added to the email signers receive.")
    )

    panels = [FieldPanel("count"), FieldPanel("message")]

    class Meta(Orderable.Meta):
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return str(self.count)


class Signature(models.Model):
    """A person's signature on a petition; only confirmed ones count."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        EXPIRED = "expired", _("Expired unconfirmed")
        INVALIDATED = "invalidated", _("Invalidated")

    class Source(models.TextChoices):
        FORM = "form", _("Petition page")
        EMBED = "embed", _("Embedded widget")
        API = "api", _("API")
        IMPORT = "import", _("Imported")

    petition = models.ForeignKey(PetitionPage, on_delete=models.CASCADE, related_name="signatures")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.FORM)
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"), max_length=254)
    email_canonical = models.CharField(max_length=254)
    email_domain = models.CharField(max_length=253)
    country = CountryField(_("country"))
    region = models.CharField(_("region"), max_length=80, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    comment = models.CharField(_("comment"), max_length=280, blank=True)
    public = models.BooleanField(_("appears publicly"), default=False)
    updates = models.BooleanField(_("wants updates"), default=False)
    consent_version = models.CharField(max_length=32)
    language = models.CharField(max_length=8, default="en")
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    supporter = models.ForeignKey(
        "supporters.Supporter", null=True, blank=True, on_delete=models.SET_NULL, related_name="signatures"
    )
    invalidated_at = models.DateTimeField(null=True, blank=True)
    invalidated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invalidated_reason = models.CharField(max_length=300, blank=True)

    ACTIVE = ("pending", "confirmed")

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "email_canonical"],
                condition=Q(status__in=("pending", "confirmed")),
                name="petitions_one_active_signature_per_email",
            ),
        ]
        indexes = [
            models.Index(fields=["petition", "status", "-confirmed_at"], name="petitions_sig_status"),
            models.Index(fields=["created_at"], name="petitions_sig_pending", condition=Q(status="pending")),
            models.Index(fields=["id"], name="petitions_sig_mail_due", condition=Q(email_sent_at__isnull=True)),
            models.Index(
                fields=["id"], name="petitions_sig_uncounted", condition=Q(status="confirmed", counted_at__isnull=True)
            ),
            models.Index(fields=["petition", "email_domain"], name="petitions_sig_domain"),
            # Insights' advocacy fold asks which signers' confirmed signatures changed since its last run.
            models.Index(fields=["confirmed_at"], name="petitions_sig_confirmed_at"),
            models.Index(
                fields=["invalidated_at"], name="petitions_sig_invalidated", condition=Q(invalidated_at__isnull=False)
            ),
            models.Index(fields=["petition", "ip"], name="petitions_sig_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> ({self.status})"

    @property
    def first_name(self) -> str:
        return (self.name.split() or [""])[0]


class PetitionCounter(models.Model):
    """A petition's folded total of confirmed signatures (written by the fold task and recount only)."""

    petition = models.OneToOneField(PetitionPage, on_delete=models.CASCADE, related_name="counter")
    total = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("petition counter")

    def __str__(self) -> str:
        return f"{self.petition_id}: {self.total}"


class PetitionTally(models.Model):
    """Confirmed signatures of one petition from one country and region."""

    petition = models.ForeignKey(PetitionPage, on_delete=models.CASCADE, related_name="tallies")
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=80, blank=True)
    total = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("petition tally")
        constraints = [
            models.UniqueConstraint(fields=["petition", "country", "region"], name="petitions_one_tally_per_region")
        ]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.country} {self.region}: {self.total}"


class MilestoneReached(models.Model):
    """A milestone of a petition was reached; staff and opted-in signers are told once."""

    petition = models.ForeignKey(PetitionPage, on_delete=models.CASCADE, related_name="milestones_reached")
    count = models.PositiveIntegerField()
    reached_at = models.DateTimeField(default=timezone.now)
    staff_notified_at = models.DateTimeField(null=True, blank=True)
    signers_emailed_through = models.BigIntegerField(default=0, help_text="Signature id the signers' emails reached.")
    signers_emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("milestone reached")
        verbose_name_plural = _("milestones reached")
        constraints = [models.UniqueConstraint(fields=["petition", "count"], name="petitions_milestone_once")]

    def __str__(self) -> str:
        return f"{self.petition_id} reached {self.count}"


@register_snippet
class DisposableDomain(models.Model):
    """An email domain whose addresses may not sign (throwaway mailboxes)."""

    domain = models.CharField(
        _("domain"), max_length=253, unique=True, help_text=_("For example mailinator.com (subdomains included).")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [FieldPanel("domain"), FieldPanel("note")]

    class Meta:
        verbose_name = _("disposable email domain")
        verbose_name_plural = _("disposable email domains")
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.domain = self.domain.strip().lower().lstrip("@").rstrip(".")
        super().save(*args, **kwargs)
        from campaigns.petitions.abuse import disposable_domains_changed

        disposable_domains_changed()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        result = super().delete(*args, **kwargs)
        from campaigns.petitions.abuse import disposable_domains_changed

        disposable_domains_changed()
        return result

    def clean(self) -> None:
        self.domain = self.domain.strip().lower().lstrip("@").rstrip(".")
        if not self.domain or "." not in self.domain or " " in self.domain:
            raise ValidationError({"domain": _("Enter a domain such as example.com.")})


@register_setting(icon="pick")
class AdvocacySettings(BaseSiteSetting):
    """Petitions settings: who may frame the widget and who hears about milestones."""

    embed_allowed_origins = models.TextField(
        _("origins allowed to embed the petition widget"),
        blank=True,
        help_text=_("One per line, for example https://partner.example.org. Empty: nobody may frame it."),
    )
    milestone_notify_emails = models.TextField(
        _("addresses told when a milestone is reached"), blank=True, help_text=_("One email address per line.")
    )

    panels = [FieldPanel("embed_allowed_origins"), FieldPanel("milestone_notify_emails")]

    class Meta:
        verbose_name = _("advocacy settings")

    def clean(self) -> None:
        from django.core.validators import validate_email

        errors = {}
        bad = [origin for origin in self.origins() if not _valid_origin(origin)]
        if bad:
            errors["embed_allowed_origins"] = _("Not an origin (scheme://host[:port]): %(bad)s") % {
                "bad": ", ".join(bad)
            }
        for address in self.notify_addresses():
            try:
                validate_email(address)
            except ValidationError:
                errors["milestone_notify_emails"] = _("Not an email address: %(address)s") % {"address": address}
        if errors:
            raise ValidationError(errors)

    def origins(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.embed_allowed_origins.splitlines() if line.strip()]

    def notify_addresses(self) -> list[str]:
        return [line.strip() for line in self.milestone_notify_emails.splitlines() if line.strip()]


def _valid_origin(origin: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(origin)
    return parts.scheme in ("https", "http") and bool(parts.hostname) and not parts.path and not parts.query


# Publishing a petition refreshes what the sign path caches about it.
from campaigns.petitions import signals  # noqa: E402, F401
