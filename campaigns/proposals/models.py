"""Member proposals: issues supporters propose, staff moderate, supporters vote on in rounds, staff adopt.

A proposal belongs to a Round (staff set when it opens and closes, how many
votes each supporter has and how many votes make a proposal "ready for
decision"). Its status changes only in services, under a row lock, and every
change is kept as a ProposalTransition (who, when, why). Votes are rows, one
per supporter per proposal; the count shown to the public is ``vote_count``,
folded in from the votes by a task, so the ranking never counts on a request.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.languages import in_language

__all__ = ["Proposal", "ProposalRound", "ProposalTransition", "ProposalVote"]

TITLE_MAX_LENGTH = 140
BODY_MAX_LENGTH = 2000


class ProposalRound(models.Model):
    """A voting round: proposals made while it is open or upcoming join it; votes count while it is open."""

    class State(models.TextChoices):
        UPCOMING = "upcoming", _("Not open yet")
        OPEN = "open", _("Open for votes")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=140)
    name_ar = models.CharField(_("name in Arabic"), max_length=140, blank=True)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    votes_per_supporter = models.PositiveSmallIntegerField(
        _("votes per supporter"), default=3, help_text=_("How many proposals each supporter may vote for.")
    )
    ready_threshold = models.PositiveIntegerField(
        _("votes for a decision"),
        default=100,
        help_text=_("A proposal with at least this many votes is marked ready for decision."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("proposal round")
        verbose_name_plural = _("proposal rounds")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="proposal_round_closes_after_opening"
            ),
            models.CheckConstraint(condition=Q(votes_per_supporter__gte=1), name="proposal_round_at_least_one_vote"),
            models.CheckConstraint(condition=Q(ready_threshold__gte=1), name="proposal_round_threshold_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("A round must close after it opens.")})
        if self.votes_per_supporter is not None and self.votes_per_supporter < 1:
            raise ValidationError({"votes_per_supporter": _("Each supporter needs at least one vote.")})
        if self.ready_threshold is not None and self.ready_threshold < 1:
            raise ValidationError({"ready_threshold": _("The threshold must be at least one vote.")})

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_ar)

    def state_at(self, when: datetime | None = None) -> str:
        when = when or timezone.now()
        if when < self.opens_at:
            return self.State.UPCOMING
        if when < self.closes_at:
            return self.State.OPEN
        return self.State.CLOSED

    @property
    def state(self) -> str:
        return self.state_at()

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class Proposal(models.Model):
    """An issue a supporter asks the organisation to take up, and why it matters."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        ADOPTED = "adopted", _("Adopted")

    round = models.ForeignKey(
        ProposalRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="proposals"
    )
    supporter = models.ForeignKey(
        "supporters.Supporter", verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="proposals"
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    # The title as compared for duplicates: case-folded, spaces collapsed.
    title_key = models.CharField(max_length=TITLE_MAX_LENGTH, editable=False)
    body = models.TextField(_("why it matters"), max_length=BODY_MAX_LENGTH)
    language = models.CharField(_("language"), max_length=8, default="en")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    vote_count = models.PositiveIntegerField(_("votes"), default=0, editable=False)
    counted_at = models.DateTimeField(null=True, blank=True, editable=False)
    ready_at = models.DateTimeField(
        _("ready for decision since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When it reached the threshold."),
    )
    campaign = models.ForeignKey(
        "campaigns.CampaignPage",
        verbose_name=_("adopted into campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="adopted_proposals",
    )
    decision_note = models.TextField(_("note to the proposer"), blank=True, max_length=2000)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at"]
        permissions = [("moderate_proposal", "Can publish, reject and adopt proposals")]
        constraints = [
            models.UniqueConstraint(fields=["supporter", "title_key"], name="proposal_unique_title_per_supporter"),
            models.CheckConstraint(
                condition=~Q(status="adopted") | Q(decided_at__isnull=False), name="proposal_adopted_has_decision"
            ),
        ]
        indexes = [models.Index(fields=["round", "status", "-vote_count"], name="proposal_ranking_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_ready(self) -> bool:
        return self.vote_count >= self.round.ready_threshold

    @property
    def short_body(self) -> str:
        return self.body if len(self.body) <= 200 else self.body[:197].rstrip() + "…"


class ProposalTransition(models.Model):
    """One change of a proposal's status: from, to, who and when (and the note the proposer was sent)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, blank=True, choices=Proposal.Status.choices)
    to_status = models.CharField(max_length=16, choices=Proposal.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("proposal status change")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.from_status or '-'} -> {self.to_status}"


class ProposalVote(models.Model):
    """One supporter's vote for one proposal (never two: a unique constraint)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    supporter = models.ForeignKey("supporters.Supporter", on_delete=models.CASCADE, related_name="proposal_votes")
    round = models.ForeignKey(ProposalRound, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("proposal vote")
        constraints = [models.UniqueConstraint(fields=["proposal", "supporter"], name="proposal_vote_once")]
        indexes = [models.Index(fields=["round", "supporter"], name="proposal_vote_round_idx")]

    def __str__(self) -> str:
        return f"{self.supporter_id} -> {self.proposal_id}"
