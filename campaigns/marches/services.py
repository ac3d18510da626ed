"""Every write for virtual marches: slots, registration and booking, actions, letters, reminders, counters.

Booking is race-free: the slots of the chosen time are locked (``SELECT ...
FOR UPDATE``) while one is picked and its ``booked`` count raised, and the
database refuses a slot booked past its capacity. Actions are unique per
participant, target and kind, so a double submit changes nothing. Letters
wait in a queue and leave within each target's limit, one per transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.marches.models import (
    MarchAction,
    MarchCounter,
    MarchLetter,
    MarchParticipant,
    MarchSlot,
    VirtualMarchPage,
)
from campaigns.marches.selectors import (
    OTHER_REGION,
    counts_key,
    march_counts_compute,
    region_choices,
    time_parse,
    times_key,
)
from campaigns.models import Target
from cms.public_json import public_json_changed
from supporters.services import email_normalize, supporter_for_email

LETTER = "letter"


class MarchError(Exception):
    """A request the march cannot take, with a message for the person."""

    def __init__(self, message: str, *, next_free: datetime | None = None, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.next_free = next_free
        self.field = field


class SlotFull(MarchError):
    pass


# -- slots ---------------------------------------------------------------------------


def march_slots_ensure(*, march: VirtualMarchPage) -> int:
    """Make the slots of the window for each target (only those missing); returns how many were made.

    A changed calls-per-minute updates each slot's capacity, never below the places already booked.
    """
    march = march.canonical()
    plan = march.plan
    step = timedelta(minutes=plan.minutes)
    starts = []
    moment = march.window_start
    while moment + step <= march.window_end:
        starts.append(moment)
        moment += step
    targets = list(march.targets.filter(active=True))
    existing = set(MarchSlot.objects.filter(march=march).values_list("target_id", "starts_at"))
    new = [
        MarchSlot(march=march, target=target, starts_at=start, ends_at=start + step, capacity=plan.capacity)
        for target in targets
        for start in starts
        if (target.pk, start) not in existing
    ]
    MarchSlot.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    MarchSlot.objects.filter(march=march).exclude(capacity=plan.capacity).update(
        capacity=Greatest(plan.capacity, F("booked"))
    )
    cache.delete(times_key(march.pk))
    return len(new)


def _next_free(march: VirtualMarchPage, after: datetime) -> datetime | None:
    """The first time after ``after`` that still has a place and has not ended."""
    slot = (
        MarchSlot.objects.filter(march=march, starts_at__gt=after, ends_at__gt=timezone.now())
        .filter(booked__lt=F("capacity"))
        .order_by("starts_at")
        .first()
    )
    return slot.starts_at if slot else None


# -- registering ----------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    participant: MarchParticipant
    created: bool


def _slot_time(march: VirtualMarchPage, choice: str) -> datetime | None:
    """The slot time a form sent, checked against the window; None for the letter instead of a call."""
    if choice == LETTER:
        return None
    moment = time_parse(choice)
    if moment is None:
        raise MarchError(_("That is not one of this march's times. Please choose a time from the list."), field="slot")
    if moment < march.window_start or moment >= march.window_end:
        raise MarchError(
            _("That time is outside the march's window. Please choose a time from the list."), field="slot"
        )
    if not MarchSlot.objects.filter(march=march, starts_at=moment).exists():
        raise MarchError(_("That is not one of this march's times. Please choose a time from the list."), field="slot")
    if moment + timedelta(minutes=march.plan.minutes) <= timezone.now():
        raise MarchError(_("That time has passed. Please choose a later one."), next_free=_next_free(march, moment))
    return moment


def participant_register(
    *, march: VirtualMarchPage, name: str, email: str, region: str, language: str, slot: str
) -> Registration:
    """Register someone for a march and book them a call slot (or the letter action).

    Someone already registered with this email is not registered again and
    nothing about their booking is shown: they are emailed their slot and
    their private link. A full time raises ``SlotFull`` with the next free one.
    """
    march = march.canonical()
    if march.state() == "ended":
        raise MarchError(_("This march has ended. Thank you for your interest."))
    name, region = name.strip(), region.strip()
    if not name or not region:
        raise MarchError(_("Please give your name and region."))
    if region not in {key for key, _label in region_choices(march)}:
        raise MarchError(_("Please choose your region from the list."), field="region")
    moment = _slot_time(march, slot)
    address = email_normalize(email)
    existing = MarchParticipant.objects.filter(march=march, supporter__email=address).first()
    if existing is not None:
        _on_commit_send(existing.pk, "again")
        return Registration(existing, created=False)
    try:
        with transaction.atomic():
            participant = _book(march=march, name=name, address=address, region=region, language=language,
                                moment=moment)  # fmt: skip
    except IntegrityError:  # the same email, registered at the same instant
        existing = MarchParticipant.objects.get(march=march, supporter__email=address)
        _on_commit_send(existing.pk, "again")
        return Registration(existing, created=False)
    cache.delete(times_key(march.pk))
    _on_commit_send(participant.pk, "confirmation")
    _fold_soon(march.pk)
    return Registration(participant, created=True)


def _book(
    *, march: VirtualMarchPage, name: str, address: str, region: str, language: str, moment: datetime | None
) -> MarchParticipant:
    slot = None
    call_at = None
    if moment is not None:
        slots = list(MarchSlot.objects.select_for_update().filter(march=march, starts_at=moment).order_by("pk"))
        free = [candidate for candidate in slots if candidate.booked < candidate.capacity]
        if not free:
            raise SlotFull(
                _("That time has just filled up."),
                next_free=_next_free(march, moment),
            )
        targets = {target.pk: target for target in Target.objects.filter(pk__in=[s.target_id for s in free])}
        wanted = region.casefold()
        free.sort(key=lambda s: ((targets[s.target_id].region or "").casefold() != wanted, s.booked, s.pk))
        slot = free[0]
        call_at = slot.starts_at + march.plan.call_offset(slot.booked, march.calls_per_minute)
        MarchSlot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
    supporter = supporter_for_email(email=address, name=name, language=language)
    return MarchParticipant.objects.create(
        march=march,
        supporter=supporter,
        name=name,
        region=region if region else OTHER_REGION,
        language=language,
        target_id=slot.target_id if slot else None,
        slot=slot,
        call_at=call_at,
    )


def _fold_soon(march_id: int) -> None:
    """Without a beat scheduler (the embedded default), fold the counters after each write."""
    if settings.MARCH_FOLD_ON_WRITE:
        transaction.on_commit(lambda: counters_fold(march_id=march_id))


def _on_commit_send(participant_id: int, kind: str) -> None:
    from campaigns.marches.tasks import march_participant_email

    transaction.on_commit(lambda: march_participant_email.delay(participant_id, kind))


# -- emails to participants ---------------------------------------------------------------


def participant_url(participant: MarchParticipant) -> str:
    with translation.override(participant.language):
        return settings.BASE_URL + reverse("campaigns:marches_participant", args=[participant.token])


def _participant_context(participant: MarchParticipant) -> dict[str, Any]:
    page = participant.march.in_language(participant.language)
    return {
        "participant": participant,
        "march": page,
        "target": participant.target,
        "call_at": timezone.localtime(participant.call_at, page.zone) if participant.call_at else None,
        "time_zone": page.time_zone,
        "link": participant_url(participant),
        "direction": "rtl" if participant.language.startswith("ar") else "ltr",
    }


def _send(*, template: str, to: str, context: dict[str, Any], language: str) -> None:
    with translation.override(language):
        subject = " ".join(render_to_string(f"campaigns/marches/email/{template}_subject.txt", context).split())
        text = render_to_string(f"campaigns/marches/email/{template}.txt", context)
        html = render_to_string(f"campaigns/marches/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


def participant_email_send(*, participant_id: int, kind: str) -> bool:
    """The confirmation (once), or "you are already registered" (each time someone registers the email again)."""
    with transaction.atomic():
        participant = (
            MarchParticipant.objects.select_for_update(of=("self",))
            .select_related("supporter", "target", "march")
            .get(pk=participant_id)
        )
        if kind == "confirmation" and participant.confirmation_sent_at is not None:
            return False
        context = {**_participant_context(participant), "again": kind == "again"}
        _send(template="confirmation", to=participant.email, context=context, language=participant.language)
        if kind == "confirmation":
            participant.confirmation_sent_at = timezone.now()
            participant.save(update_fields=["confirmation_sent_at"])
    return True


REMINDERS = {
    # kind: (how long before the call, the field that says it went)
    "day": (timedelta(hours=24), "reminder_day_sent_at"),
    "soon": (timedelta(minutes=15), "reminder_soon_sent_at"),
}


def reminders_due(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """Participants whose 24-hour or 15-minute reminder is due and not yet sent.

    A reminder is due from its moment until the call (the day-before one until
    the 15-minute one takes over); someone who registered after that moment
    already has the details in their confirmation, so is not reminded again.
    """
    now = now or timezone.now()
    due = []
    day, day_field = REMINDERS["day"]
    soon, soon_field = REMINDERS["soon"]
    rows = MarchParticipant.objects.filter(call_at__isnull=False)
    for pk in rows.filter(
        **{f"{day_field}__isnull": True},
        call_at__lte=now + day,
        call_at__gt=now + soon,
        created_at__lte=F("call_at") - day,
    ).values_list("pk", flat=True):
        due.append((pk, "day"))
    for pk in rows.filter(
        **{f"{soon_field}__isnull": True},
        call_at__lte=now + soon,
        call_at__gt=now - timedelta(minutes=5),
        created_at__lte=F("call_at") - soon,
    ).values_list("pk", flat=True):
        due.append((pk, "soon"))
    return due


def reminder_send(*, participant_id: int, kind: str) -> bool:
    """Send one reminder at most once: the participant's row is locked while it goes."""
    _before, field = REMINDERS[kind]
    with transaction.atomic():
        participant = (
            MarchParticipant.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("supporter", "target", "march")
            .filter(pk=participant_id, **{f"{field}__isnull": True})
            .first()
        )
        if participant is None:
            return False
        context = {**_participant_context(participant), "kind": kind}
        page = context["march"]
        context["script"] = page.call_script
        _send(template="reminder", to=participant.email, context=context, language=participant.language)
        setattr(participant, field, timezone.now())
        participant.save(update_fields=[field])
    return True


def reminders_send_due(*, now: datetime | None = None) -> int:
    return sum(reminder_send(participant_id=pk, kind=kind) for pk, kind in reminders_due(now=now))


# -- actions ---------------------------------------------------------------------------------


def _march_target(participant: MarchParticipant, target_id: Any) -> Target:
    try:
        target_pk = int(target_id)
    except (TypeError, ValueError):
        target_pk = 0
    target = participant.march.targets.filter(pk=target_pk).first()
    if target is None:
        raise MarchError(_("That official is not part of this march."))
    return target


def _action_create(participant: MarchParticipant, target: Target, kind: str, **fields: Any) -> tuple[MarchAction, bool]:
    found = MarchAction.objects.filter(participant=participant, target=target, kind=kind).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            action = MarchAction.objects.create(
                march_id=participant.march_id,
                participant=participant,
                target=target,
                kind=kind,
                region=participant.region,
                **fields,
            )
    except IntegrityError:  # the same submit twice at once
        return MarchAction.objects.get(participant=participant, target=target, kind=kind), False
    _fold_soon(participant.march_id)
    return action, True


def call_report(*, participant: MarchParticipant, target_id: Any, outcome: str) -> tuple[MarchAction, bool]:
    """Record "I called" with its outcome; once per participant and target (a second report changes nothing)."""
    target = _march_target(participant, target_id)
    if outcome not in MarchAction.Outcome.values:
        raise MarchError(_("Please say how the call went."), field="outcome")
    if participant.march.state() == "upcoming":
        raise MarchError(_("The march has not started yet: please call during the window."))
    return _action_create(participant, target, MarchAction.Kind.CALL, outcome=outcome)


def letter_text(*, participant: MarchParticipant, target: Target) -> tuple[str, str]:
    """The letter's subject and body, filled in with the participant's and the target's details."""
    page = participant.march.in_language(participant.language)
    with translation.override(participant.language):
        values = {
            "target_name": target.display_name,
            "target_role": target.display_role,
            "target_office": target.display_office,
            "supporter_name": participant.name,
            "supporter_region": participant.region if participant.region != OTHER_REGION else "",
            "march_title": page.title,
        }
        subject = (page.letter_subject or page.title).format_map(values)
        body = page.letter_template.format_map(values) if page.letter_template else ""
    return subject, body


def letter_route(*, march: VirtualMarchPage, target: Target) -> str:
    """How a letter reaches this target: "send" (our mail), "web_form", "mailto", or "none"."""
    march = march.canonical()
    if march.letters_by_our_mail and target.email:
        return "send"
    if target.web_form_url:
        return "web_form"
    if target.public_email:
        return "mailto"
    return "none"


def letter_submit(*, participant: MarchParticipant, target_id: Any) -> tuple[MarchAction, bool]:
    """Queue a letter from this participant to the target; our mail system sends it within the target's limit."""
    target = _march_target(participant, target_id)
    if letter_route(march=participant.march, target=target) != "send":
        raise MarchError(_("We cannot send a letter to this official for you: please use the link shown instead."))
    if not participant.march.letter_template:
        raise MarchError(_("This march has no letter."))
    if participant.march.state() == "ended":
        raise MarchError(_("This march has ended, so no more letters are sent."))
    subject, body = letter_text(participant=participant, target=target)
    with transaction.atomic():
        action, created = _action_create(participant, target, MarchAction.Kind.LETTER)
        if created:
            MarchLetter.objects.create(
                action=action, march_id=participant.march_id, target=target, subject=subject[:300], body=body
            )
    if created:
        from campaigns.marches.tasks import march_letters_send

        transaction.on_commit(lambda: march_letters_send.delay(participant.march_id))
    return action, created


def letter_self_sent_record(*, participant: MarchParticipant, target_id: Any) -> tuple[MarchAction, bool]:
    """Record a letter the participant sent themselves (through the web form or their own email)."""
    target = _march_target(participant, target_id)
    if letter_route(march=participant.march, target=target) not in ("web_form", "mailto"):
        raise MarchError(_("There is no way to write to this official yourself; use the letter button instead."))
    subject, body = letter_text(participant=participant, target=target)
    with transaction.atomic():
        action, created = _action_create(participant, target, MarchAction.Kind.LETTER)
        if created:
            MarchLetter.objects.create(
                action=action,
                march_id=participant.march_id,
                target=target,
                subject=subject[:300],
                body=body,
                status=MarchLetter.Status.SELF_SENT,
                sent_at=timezone.now(),
            )
    return action, created


def _letter_send_one(*, march: VirtualMarchPage, target_id: int, now: datetime) -> str:
    """Send the target's oldest queued letter if its limit allows: "sent", "limit" or "empty"."""
    with transaction.atomic():
        target = Target.objects.select_for_update().get(pk=target_id)  # one sender per target at a time
        since = now - timedelta(seconds=march.letter_period_seconds)
        recent = MarchLetter.objects.filter(target=target, march=march, status=MarchLetter.Status.SENT,
                                            sent_at__gt=since).count()  # fmt: skip
        if recent >= march.letters_per_target:
            return "limit"
        letter = (
            MarchLetter.objects.select_for_update(skip_locked=True)
            .filter(march=march, target=target, status=MarchLetter.Status.QUEUED)
            .order_by("created_at", "pk")
            .first()
        )
        if letter is None:
            return "empty"
        if not target.email:
            return "empty"  # the address was removed: the letter waits for a new one
        message = EmailMultiAlternatives(letter.subject, letter.body, to=[target.email])
        message.send()
        letter.status = MarchLetter.Status.SENT
        letter.sent_at = now
        letter.save(update_fields=["status", "sent_at"])
    return "sent"


def letters_send_due(*, march_id: int, now: datetime | None = None) -> int:
    """Send queued letters of a march, oldest first, within each target's limit; the rest wait. Returns how many."""
    march = VirtualMarchPage.objects.get(pk=march_id)
    sent = 0
    target_ids = (
        MarchLetter.objects.filter(march=march, status=MarchLetter.Status.QUEUED)
        .values_list("target_id", flat=True)
        .distinct()
    )
    for target_id in list(target_ids):
        while _letter_send_one(march=march, target_id=target_id, now=now or timezone.now()) == "sent":
            sent += 1
    return sent


# -- counters -----------------------------------------------------------------------------------


def _bump(deltas: dict[tuple[str, str], dict[str, int]], scope: str, key: str, field: str) -> None:
    bucket = deltas.setdefault((scope, key), {"registered": 0, "calls": 0, "letters": 0})
    bucket[field] += 1


def counters_fold(*, march_id: int, batch: int | None = None) -> int:
    """Fold new participants and actions into the march's counter rows; returns how many rows were folded.

    Rows are taken with ``SKIP LOCKED`` and marked counted in the same
    transaction, so two folds running at once never count a row twice. The
    fresh counts then go to the cache, where the page, the room and the API read them.
    """
    batch = batch or settings.MARCH_FOLD_BATCH
    folded = 0
    while True:
        with transaction.atomic():
            people = list(
                MarchParticipant.objects.select_for_update(skip_locked=True)
                .filter(march_id=march_id, counted=False)
                .values_list("pk", "region", "target_id")[:batch]
            )
            actions = list(
                MarchAction.objects.select_for_update(skip_locked=True)
                .filter(march_id=march_id, counted=False)
                .values_list("pk", "region", "target_id", "kind")[:batch]
            )
            if not people and not actions:
                break
            deltas: dict[tuple[str, str], dict[str, int]] = {}
            for _pk, region, target_id in people:
                for scope, key in (("all", ""), ("region", region)) + (
                    (("target", str(target_id)),) if target_id else ()
                ):
                    _bump(deltas, scope, key, "registered")
            for _pk, region, target_id, kind in actions:
                field = "calls" if kind == MarchAction.Kind.CALL else "letters"
                for scope, key in (("all", ""), ("region", region), ("target", str(target_id))):
                    _bump(deltas, scope, key, field)
            for (scope, key), delta in deltas.items():
                MarchCounter.objects.get_or_create(march_id=march_id, scope=scope, key=key)
                MarchCounter.objects.filter(march_id=march_id, scope=scope, key=key).update(
                    registered=F("registered") + delta["registered"],
                    calls=F("calls") + delta["calls"],
                    letters=F("letters") + delta["letters"],
                )
            MarchParticipant.objects.filter(pk__in=[row[0] for row in people]).update(counted=True)
            MarchAction.objects.filter(pk__in=[row[0] for row in actions]).update(counted=True)
            folded += len(people) + len(actions)
    counts_refresh(march_id=march_id)
    return folded


def counts_refresh(*, march_id: int) -> dict[str, Any]:
    counts = march_counts_compute(march_id=march_id)
    cache.set(counts_key(march_id), counts, settings.MARCH_COUNTS_CACHE_SECONDS)
    public_json_changed()
    return counts


def marches_with_unfolded_rows() -> list[int]:
    ids = set(MarchParticipant.objects.filter(counted=False).values_list("march_id", flat=True).distinct())
    ids |= set(MarchAction.objects.filter(counted=False).values_list("march_id", flat=True).distinct())
    return sorted(ids)


# -- privacy: erasure ----------------------------------------------------------------------------


def march_participation_erase(*, supporter_id: int, scrub: Any) -> dict[str, int]:
    """Erase a person's march participation: no name, a new room token, no more emails.

    ``scrub(text) -> text`` removes the person's name and address from a text.
    Registrations and actions stay as numbers (the counters). A letter already
    sent keeps its text with the name removed, as a record of what reached the
    official; a letter still queued is never sent: it and its action are
    deleted, and taken off the counters if they had been folded in.
    """
    import secrets

    participants = list(MarchParticipant.objects.select_for_update().filter(supporter_id=supporter_id))
    now = timezone.now()
    erased = letters_scrubbed = letters_dropped = 0
    for participant in participants:
        queued = list(
            MarchLetter.objects.select_for_update()
            .filter(action__participant=participant, status=MarchLetter.Status.QUEUED)
            .select_related("action")
        )
        for letter in queued:
            action = letter.action
            if action.counted:
                for scope, key in (("all", ""), ("region", action.region), ("target", str(action.target_id))):
                    MarchCounter.objects.filter(march_id=action.march_id, scope=scope, key=key, letters__gt=0).update(
                        letters=F("letters") - 1
                    )
            letter.delete()
            action.delete()
            letters_dropped += 1
        for letter in MarchLetter.objects.select_for_update().filter(action__participant=participant):
            subject, body = scrub(letter.subject), scrub(letter.body)
            if (subject, body, letter.reply_to) != (letter.subject, letter.body, ""):
                letter.subject, letter.body, letter.reply_to = subject, body, ""
                letter.save(update_fields=["subject", "body", "reply_to"])
                letters_scrubbed += 1
        if participant.name or not participant.reminder_soon_sent_at:
            participant.name = ""
            participant.token = secrets.token_urlsafe(24)
            participant.confirmation_sent_at = participant.confirmation_sent_at or now
            participant.reminder_day_sent_at = participant.reminder_day_sent_at or now
            participant.reminder_soon_sent_at = participant.reminder_soon_sent_at or now
            participant.save(
                update_fields=[
                    "name", "token", "confirmation_sent_at", "reminder_day_sent_at", "reminder_soon_sent_at"
                ]
            )  # fmt: skip
            erased += 1
    for march_id in sorted({participant.march_id for participant in participants}):
        transaction.on_commit(lambda march_id=march_id: counts_refresh(march_id=march_id))
    return {
        "march_registrations_pseudonymised": erased,
        "sent_letters_scrubbed": letters_scrubbed,
        "queued_letters_deleted": letters_dropped,
    }
