"""Petitions: every write.

Signing (the surge path)
    ``signature_sign(...) -> SignOutcome`` takes plain request data (already
    validated by the form or the API serializer), checks the petition is open,
    the abuse rules (campaigns.petitions.abuse: disposable domains, per-IP and
    per-domain limits) and does ONE statement: an INSERT of a pending
    signature that, on the (petition, canonical email) conflict, only marks a
    mail due again (at most every ``PETITION_RESEND_MINUTES``). Nothing else
    touches the database; the confirmation email goes out from the batch
    mailer ``signature_mails_send`` (a periodic task), or at once when
    ``PETITION_MAIL_BATCHED`` is off. Refusals raise ``SigningRefused`` with
    a code ("closed", "disposable", "rate_limited"), a message and the field.

Confirming
    ``signature_confirm(*, signature_id, token) -> Signature`` (POST only):
    the Supporter is found or created and the consents recorded.

Counting
    ``signatures_fold(...)`` folds confirmed, uncounted signatures into
    ``PetitionCounter`` and ``PetitionTally`` (by country and region), then
    refreshes the cached counts, the per-region JSON and the wall of signers
    and checks milestones. ``signatures_recount(*, petition)`` rebuilds a
    petition's counter and tallies from its confirmed signatures.

Staff
    ``signatures_invalidate(*, petition, ip=None, domain=None, since=None,
    until=None, user, reason) -> int`` invalidates the pending and confirmed
    signatures matching ALL the filters given (at least one), then recounts;
    returns how many were invalidated. ``signatures_matching(...)`` (in
    selectors) is the same filter, to preview. ``signature_invalidate(*,
    signature, user, reason)`` does one.

Housekeeping
    ``signatures_expire()`` (pending past ``PETITION_CONFIRM_DAYS``) and
    ``milestone_notify(*, reached_id)`` (staff once, opted-in signers once).

Read counts with ``campaigns.petitions.selectors``: ``petition_count``,
``petition_regions``, ``petition_recent_signers``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from campaigns.petitions import abuse
from campaigns.petitions.consent import CONSENT_VERSION, consent_wording
from campaigns.petitions.models import (
    MilestoneReached,
    PetitionCounter,
    PetitionPage,
    PetitionTally,
    Signature,
)
from campaigns.petitions.regions import region_for
from cms.public_json import public_json_changed
from supporters.emails import email_canonical, email_domain

_TOKEN_SALT = "campaigns.petitions.confirm"  # noqa: S105 (an HMAC salt, not a secret)
_STOP_SALT = "campaigns.petitions.updates-stop"


class SigningRefused(Exception):
    """A signature that cannot be taken: ``code`` for machines, ``message`` for people, ``field`` if one is at fault."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ConfirmationInvalid(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignOutcome:
    """What signing did. Never shown to the signer: every outcome answers "check your email"."""

    result: str  # "created", "mail_again" (already signed: a mail is due), "duplicate" (mailed recently)
    signature_id: int | None


# -- tokens ------------------------------------------------------------------


def signature_token(*, signature_id: int, email_canonical: str, created_at: datetime.datetime) -> str:
    """The secret in a confirmation link (an HMAC: nothing to store)."""
    value = f"{signature_id}:{email_canonical}:{created_at.timestamp():.6f}"
    return salted_hmac(_TOKEN_SALT, value, algorithm="sha256").hexdigest()[:40]


def signature_confirm_path(signature: Signature) -> str:
    token = signature_token(
        signature_id=signature.pk, email_canonical=signature.email_canonical, created_at=signature.created_at
    )
    with translation.override(signature.language):
        return reverse("campaigns:petitions_confirm", kwargs={"signature_id": signature.pk, "token": token})


def updates_stop_token(*, signature_id: int, email_canonical: str) -> str:
    """The secret in the "stop these emails" link of update emails."""
    return salted_hmac(_STOP_SALT, f"{signature_id}:{email_canonical}", algorithm="sha256").hexdigest()[:40]


def updates_stop_path(signature: Signature) -> str:
    token = updates_stop_token(signature_id=signature.pk, email_canonical=signature.email_canonical)
    with translation.override(signature.language):
        return reverse("campaigns:petitions_updates_stop", kwargs={"signature_id": signature.pk, "token": token})


# -- signing -------------------------------------------------------------------

_INSERT_COLUMNS = """
    petition_id, status, source, name, email, email_canonical, email_domain, country, region,
    postcode, city, comment, public, updates, consent_version, language, ip, created_at, invalidated_reason
"""
_INSERT_ROW = "(%s, 'pending', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '')"
_ON_CONFLICT = """
ON CONFLICT (petition_id, email_canonical) WHERE status IN ('pending', 'confirmed')
DO UPDATE SET email_sent_at = NULL
WHERE {table}.email_sent_at IS NOT NULL AND {table}.email_sent_at < {resend_before}
RETURNING id, created_at
"""


def signature_row(
    *,
    petition_id: int,
    name: str,
    email: str,
    country: str,
    postcode: str = "",
    city: str = "",
    comment: str = "",
    public: bool = False,
    updates: bool = False,
    language: str = "en",
    ip: str = "",
    source: str = Signature.Source.FORM,
    created_at: datetime.datetime,
) -> list[Any]:
    """The INSERT parameters of one pending signature (``_INSERT_ROW``), cleaned and canonicalised."""
    address = email.strip()
    return [
        petition_id,
        source,
        name.strip()[:120],
        address[:254],
        email_canonical(address)[:254],
        email_domain(address)[:253],
        country,
        region_for(country=country, postcode=postcode, city=city),
        postcode.strip()[:20],
        city.strip()[:80],
        comment.strip()[:280],
        bool(public),
        bool(updates),
        CONSENT_VERSION,
        language[:8],
        ip or None,
        created_at,
    ]


def signatures_insert(*, rows: list[list[Any]]) -> list[int]:
    """Write many pending signatures in one statement (PostgreSQL); the ids inserted or due a mail again.

    Each row's resend window counts from its own time, so writing the same rows twice (a retried batch)
    changes nothing the second time. Rows for the same petition and person keep the first.
    """
    if not rows:
        return []
    seen: set[tuple[int, str]] = set()
    unique = []
    for row in rows:
        key = (row[0], row[4])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    table = connection.ops.quote_name(Signature._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({_INSERT_COLUMNS}) VALUES {', '.join([_INSERT_ROW] * len(unique))}"  # noqa: S608
        + _ON_CONFLICT.format(table=table, resend_before="EXCLUDED.created_at - make_interval(mins => %s)")
    )
    params = [value for row in unique for value in row] + [settings.PETITION_RESEND_MINUTES]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    if ids and not settings.PETITION_MAIL_BATCHED:
        from campaigns.petitions.tasks import petitions_signature_mail

        for signature_id in ids:
            petitions_signature_mail.delay_on_commit(signature_id)
    return ids


def sign_checks(*, petition_id: int, email: str, now: datetime.datetime) -> tuple[abuse.SignInfo, str]:
    """What every signature passes before its rate limits: the petition takes signatures now, and the
    address's domain is not disposable. Returns the petition's cached state and the domain."""
    info = abuse.petition_sign_info(petition_id)
    if info is None or not info.accepts(now):
        raise SigningRefused("closed", _("This petition is not taking signatures."))
    domain = email_domain(email.strip())
    check_domain(domain)
    return info, domain


def signature_sign(
    *,
    petition_id: int,
    name: str,
    email: str,
    country: str,
    postcode: str = "",
    city: str = "",
    comment: str = "",
    public: bool = False,
    updates: bool = False,
    language: str = "en",
    ip: str = "",
    source: str = Signature.Source.FORM,
    now: datetime.datetime | None = None,
) -> SignOutcome:
    """Take a signature (pending until the emailed link is confirmed). See the module docstring."""
    now = now or timezone.now()
    info, domain = sign_checks(petition_id=petition_id, email=email, now=now)
    if abuse.sign_rate_exceeded(ip=ip, domain=domain, now=now):
        raise rate_limited()
    row = signature_row(
        petition_id=info.canonical_id,
        name=name,
        email=email,
        country=country,
        postcode=postcode,
        city=city,
        comment=comment,
        public=public,
        updates=updates,
        language=language,
        ip=ip,
        source=source,
        created_at=now,
    )
    resend_before = now - datetime.timedelta(minutes=settings.PETITION_RESEND_MINUTES)
    table = connection.ops.quote_name(Signature._meta.db_table)
    sql = f"INSERT INTO {table} ({_INSERT_COLUMNS}) VALUES {_INSERT_ROW}" + _ON_CONFLICT.format(  # noqa: S608
        table=table, resend_before="%s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*row, resend_before])
        returned = cursor.fetchone()
    if returned is None:
        return SignOutcome("duplicate", None)
    signature_id, created_at = returned
    if isinstance(created_at, str):  # SQLite hands back text
        created_at = datetime.datetime.fromisoformat(created_at)
    if timezone.is_naive(created_at):
        created_at = timezone.make_aware(created_at, datetime.UTC)
    result = "created" if abs((created_at - now).total_seconds()) < 1e-6 else "mail_again"
    if not settings.PETITION_MAIL_BATCHED:
        from campaigns.petitions.tasks import petitions_signature_mail

        petitions_signature_mail.delay_on_commit(signature_id)
    return SignOutcome(result, signature_id)


def check_domain(domain: str) -> None:
    """Refuse throwaway mailbox domains (staff keep the list)."""
    if abuse.domain_is_disposable(domain):
        raise SigningRefused(
            "disposable", _("Please use your own email address: throwaway addresses cannot sign."), "email"
        )


def rate_limited() -> SigningRefused:
    return SigningRefused(
        "rate_limited", _("Too many signatures from your network just now. Please try again in a few minutes.")
    )


# -- confirmation mail -----------------------------------------------------------


def _site_root_url() -> str:
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    return site.root_url if site else ""


def _render_mail(
    template: str, context: dict[str, Any], language: str, to: str, connection_: Any, headers: dict | None = None
) -> Any:
    with translation.override(language):
        subject = " ".join(render_to_string(f"campaigns/petitions/email/{template}_subject.txt", context).split())
        text = render_to_string(f"campaigns/petitions/email/{template}.txt", context)
        html = render_to_string(f"campaigns/petitions/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to], connection=connection_, headers=headers)
    message.attach_alternative(html, "text/html")
    return message


def _page_in(petition_id: int, language: str, pages: dict[Any, Any]) -> tuple[PetitionPage, str]:
    """The petition's page in this language (or the original) and its URL, looked up once per batch."""
    key = (petition_id, language)
    if key not in pages:
        petition = PetitionPage.objects.get(pk=petition_id)
        page = petition.get_translation_or_none(_locale_for(language)) or petition
        pages[key] = (page, page.full_url or "")
    return pages[key]


def _mail_for(signature: Signature, root: str, pages: dict[Any, Any], connection_: Any) -> Any | None:
    page, url = _page_in(signature.petition_id, signature.language, pages)
    context = {
        "signature": signature,
        "petition": page,
        "petition_url": url,
        "direction": "rtl" if signature.language.startswith("ar") else "ltr",
    }
    if signature.status == Signature.Status.PENDING:
        context["confirm_url"] = root + signature_confirm_path(signature)
        context["expires_days"] = settings.PETITION_CONFIRM_DAYS
        return _render_mail("confirm", context, signature.language, signature.email, connection_)
    if signature.status == Signature.Status.CONFIRMED:
        return _render_mail("already_signed", context, signature.language, signature.email, connection_)
    return None


def _locale_for(language: str) -> Any:
    from wagtail.models import Locale

    return Locale.objects.filter(language_code=language[:2]).first()


def signature_mails_send(*, limit: int = 500, signature_ids: list[int] | None = None) -> int:
    """Send the mails that are due (a confirmation link, or "you have already signed"), in one batch.

    A short transaction claims the rows (SKIP LOCKED, so two mailers never
    take the same ones) by stamping ``email_sent_at``; the mail goes out after
    it commits, so no signature row stays locked while the mail server works
    (someone signing again would otherwise wait for it). If sending fails, the
    batch is released to be sent again. Returns how many signatures the batch
    handled (0 when nothing is due): each got its mail, except ones no longer
    pending or confirmed, which need none.
    """
    root = _site_root_url()
    pages: dict[Any, Any] = {}
    claimed_at = timezone.now()
    with transaction.atomic():
        due = Signature.objects.filter(email_sent_at__isnull=True).order_by("id")
        if signature_ids is not None:
            due = due.filter(pk__in=signature_ids)
        batch = list(due.select_for_update(skip_locked=True)[:limit])
        if not batch:
            return 0
        Signature.objects.filter(pk__in=[s.pk for s in batch]).update(email_sent_at=claimed_at)
    try:
        mail_connection = get_connection()
        messages = [m for m in (_mail_for(s, root, pages, mail_connection) for s in batch) if m is not None]
        if messages:
            mail_connection.send_messages(messages)
    except Exception:
        Signature.objects.filter(pk__in=[s.pk for s in batch], email_sent_at=claimed_at).update(email_sent_at=None)
        raise
    return len(batch)


# -- confirming ------------------------------------------------------------------


def signature_confirm(*, signature_id: int, token: str, now: datetime.datetime | None = None) -> Signature:
    """Confirm a signature from its emailed link (POST). Confirming twice changes nothing."""
    from supporters.models import Consent
    from supporters.services import consent_record, supporter_for_email

    now = now or timezone.now()
    with transaction.atomic():
        signature = Signature.objects.select_for_update().filter(pk=signature_id).first()
        if signature is None or not constant_time_compare(
            token,
            signature_token(
                signature_id=signature.pk, email_canonical=signature.email_canonical, created_at=signature.created_at
            ),
        ):
            raise ConfirmationInvalid("invalid", _("This confirmation link is not valid."))
        if signature.status == Signature.Status.CONFIRMED:
            return signature
        if signature.status == Signature.Status.EXPIRED or (
            signature.status == Signature.Status.PENDING
            and signature.created_at < now - datetime.timedelta(days=settings.PETITION_CONFIRM_DAYS)
        ):
            raise ConfirmationInvalid("expired", _("This link has expired. Please sign the petition again."))
        if signature.status != Signature.Status.PENDING:
            raise ConfirmationInvalid("invalid", _("This confirmation link is not valid."))
        supporter = supporter_for_email(email=signature.email, name=signature.name, language=signature.language)
        signature.status = Signature.Status.CONFIRMED
        signature.confirmed_at = now
        signature.supporter = supporter
        signature.save(update_fields=["status", "confirmed_at", "supporter"])
        source = f"petition:{signature.petition_id}:{signature.source}"
        with translation.override(signature.language):
            for topic, granted in (
                (Consent.Topic.PUBLIC_DISPLAY, signature.public),
                (Consent.Topic.EMAIL_UPDATES, signature.updates),
            ):
                consent_record(
                    supporter=supporter,
                    topic=topic,
                    granted=granted,
                    wording=str(consent_wording(topic)),
                    wording_version=signature.consent_version,
                    source=source,
                )
    if settings.PETITION_FOLD_ON_CONFIRM:
        from campaigns.petitions.tasks import petitions_fold

        petitions_fold.delay_on_commit()
    return signature


# -- counting --------------------------------------------------------------------

_TALLY_UPSERT = """
INSERT INTO {table} (petition_id, country, region, total) VALUES (%s, %s, %s, %s)
ON CONFLICT (petition_id, country, region) DO UPDATE SET total = {table}.total + excluded.total
"""


def _counter_locked(petition_id: int) -> PetitionCounter:
    """The petition's counter row, locked (made if missing). Every counter write takes this lock first."""
    try:
        with transaction.atomic():
            PetitionCounter.objects.get_or_create(petition_id=petition_id)
    except IntegrityError:
        pass
    return PetitionCounter.objects.select_for_update().get(petition_id=petition_id)


def signatures_fold(*, limit: int = 20_000, now: datetime.datetime | None = None) -> int:
    """Fold confirmed, uncounted signatures into the counters and tallies. Returns how many were folded."""
    now = now or timezone.now()
    petition_ids = sorted(
        set(
            Signature.objects.filter(status=Signature.Status.CONFIRMED, counted_at__isnull=True).values_list(
                "petition_id", flat=True
            )[:limit]
        )
    )
    folded = 0
    for petition_id in petition_ids:
        folded += _fold_petition(petition_id, limit=limit, now=now)
    return folded


def _fold_petition(petition_id: int, *, limit: int, now: datetime.datetime) -> int:
    with transaction.atomic():
        counter = _counter_locked(petition_id)
        rows = list(
            Signature.objects.filter(
                petition_id=petition_id, status=Signature.Status.CONFIRMED, counted_at__isnull=True
            )
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", "country", "region")[:limit]
        )
        if not rows:
            return 0
        per_region: dict[tuple[str, str], int] = defaultdict(int)
        for _id, country, region in rows:
            per_region[(country, region)] += 1
        table = connection.ops.quote_name(PetitionTally._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                _TALLY_UPSERT.format(table=table),
                [(petition_id, country, region, n) for (country, region), n in sorted(per_region.items())],
            )
        counter.total += len(rows)
        counter.save(update_fields=["total", "updated_at"])
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), 5000):
            Signature.objects.filter(pk__in=ids[start : start + 5000]).update(counted_at=now)
    _after_count_change(petition_id)
    return len(rows)


def signatures_recount(*, petition: PetitionPage) -> int:
    """Rebuild a petition's counter and tallies from its confirmed signatures. Returns the total."""
    from django.db.models import Count

    petition_id = petition.canonical.pk
    with transaction.atomic():
        counter = _counter_locked(petition_id)
        Signature.objects.filter(
            petition_id=petition_id, status=Signature.Status.CONFIRMED, counted_at__isnull=True
        ).update(counted_at=timezone.now())
        groups = (
            Signature.objects.filter(petition_id=petition_id, status=Signature.Status.CONFIRMED)
            .values("country", "region")
            .annotate(n=Count("id"))
            .order_by()
        )
        tallies = [
            PetitionTally(petition_id=petition_id, country=g["country"], region=g["region"], total=g["n"])
            for g in groups
        ]
        PetitionTally.objects.filter(petition_id=petition_id).delete()
        PetitionTally.objects.bulk_create(tallies, batch_size=1000)
        counter.total = sum(t.total for t in tallies)
        counter.save(update_fields=["total", "updated_at"])
    _after_count_change(petition_id)
    return counter.total


def _after_count_change(petition_id: int) -> None:
    """Called once the counts are committed: the public's cached numbers, then the milestones."""
    from campaigns.petitions import selectors

    total = selectors.petition_counts_refresh(petition_id=petition_id)
    public_json_changed()  # the polled count.json and counts API answer afresh
    milestones_check(petition_id=petition_id, total=total)


# -- milestones --------------------------------------------------------------------


def milestones_check(*, petition_id: int, total: int) -> list[int]:
    """Record the milestones (and the goal) this total reaches for the first time; tell people once."""
    petition = PetitionPage.objects.filter(pk=petition_id).first()
    if petition is None:
        return []
    counts = set(petition.milestones.values_list("count", flat=True))
    if petition.goal:
        counts.add(petition.goal)
    due = sorted(c for c in counts if 0 < c <= total)
    if not due:
        return []
    known = set(MilestoneReached.objects.filter(petition_id=petition_id, count__in=due).values_list("count", flat=True))
    reached = []
    for count in due:
        if count in known:
            continue
        try:
            with transaction.atomic():
                record = MilestoneReached.objects.create(petition_id=petition_id, count=count)
        except IntegrityError:
            continue
        reached.append(count)
        from campaigns.petitions.tasks import petitions_milestone_notify

        petitions_milestone_notify.delay_on_commit(record.pk)
    return reached


def milestone_notify(*, reached_id: int, chunk: int = 500) -> int:
    """Tell staff (once) and opted-in confirmed signers (each once) that a milestone was reached.

    Signers are emailed in id order, and the last id emailed is stored with
    each chunk, so a retried task carries on where it stopped.
    """
    from campaigns.petitions.selectors import advocacy_settings

    emailed = 0
    with transaction.atomic():
        record = MilestoneReached.objects.select_for_update(of=("self",)).select_related("petition").get(pk=reached_id)
        petition = record.petition
        milestone = petition.milestones.filter(count=record.count).first()
        context = {
            "petition": petition,
            "count": record.count,
            "is_goal": record.count == petition.goal,
            "milestone_message": milestone.message if milestone else "",
            "petition_url": petition.full_url or "",
        }
        if record.staff_notified_at is None:
            recipients = list(advocacy_settings().notify_addresses())
            owner_email = getattr(petition.owner, "email", "") if petition.owner_id else ""
            if owner_email and owner_email not in recipients:
                recipients.append(owner_email)
            if recipients:
                mail_connection = get_connection()
                messages = [
                    _render_mail("milestone_staff", context, settings.LANGUAGE_CODE, to, mail_connection)
                    for to in recipients
                ]
                mail_connection.send_messages(messages)
            record.staff_notified_at = timezone.now()
            record.save(update_fields=["staff_notified_at"])
    while True:
        with transaction.atomic():
            record = MilestoneReached.objects.select_for_update().get(pk=reached_id)
            if record.signers_emailed_at is not None:
                return emailed
            signers = list(
                Signature.objects.filter(
                    petition_id=record.petition_id,
                    status=Signature.Status.CONFIRMED,
                    updates=True,
                    pk__gt=record.signers_emailed_through,
                ).order_by("pk")[:chunk]
            )
            if not signers:
                record.signers_emailed_at = timezone.now()
                record.save(update_fields=["signers_emailed_at"])
                return emailed
            mail_connection = get_connection()
            pages: dict[Any, Any] = {}
            messages = []
            root = _site_root_url()
            for signature in signers:
                language = signature.language
                page, url = _page_in(petition.pk, language, pages)
                stop_url = root + updates_stop_path(signature)
                signer_context = {
                    **context,
                    "petition": page,
                    "petition_url": url,
                    "signature": signature,
                    "stop_url": stop_url,
                    "direction": "rtl" if language.startswith("ar") else "ltr",
                }
                # One-click unsubscribe (RFC 8058): mail providers POST to the link.
                headers = {"List-Unsubscribe": f"<{stop_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
                messages.append(
                    _render_mail(
                        "milestone_signer", signer_context, language, signature.email, mail_connection, headers
                    )
                )
            mail_connection.send_messages(messages)
            emailed += len(messages)
            record.signers_emailed_through = signers[-1].pk
            record.save(update_fields=["signers_emailed_through"])


def signature_updates_stop(*, signature_id: int, token: str) -> Signature:
    """Stop update emails for this signature (from the link in them); the withdrawal is recorded as a consent."""
    from supporters.models import Consent
    from supporters.services import consent_record

    with transaction.atomic():
        signature = (
            Signature.objects.select_for_update(of=("self",))
            .select_related("supporter")
            .filter(pk=signature_id)
            .first()
        )
        if signature is None or not constant_time_compare(
            token, updates_stop_token(signature_id=signature.pk, email_canonical=signature.email_canonical)
        ):
            raise ConfirmationInvalid("invalid", _("This link is not valid."))
        if not signature.updates:
            return signature
        signature.updates = False
        signature.save(update_fields=["updates"])
        if signature.supporter is not None:
            with translation.override(signature.language):
                consent_record(
                    supporter=signature.supporter,
                    topic=Consent.Topic.EMAIL_UPDATES,
                    granted=False,
                    wording=str(consent_wording(Consent.Topic.EMAIL_UPDATES)),
                    wording_version=signature.consent_version,
                    source=f"petition:{signature.petition_id}:unsubscribe",
                )
    return signature


# -- staff -------------------------------------------------------------------------


def signatures_invalidate(
    *,
    petition: PetitionPage,
    ip: str | None = None,
    domain: str | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    user: Any,
    reason: str,
) -> int:
    """Invalidate the pending and confirmed signatures matching every filter given, then recount.

    At least one of ip, domain, since and until is required (a petition is
    never wiped by an empty filter); a reason is required. Returns how many
    signatures were invalidated (0 the second time).
    """
    from campaigns.petitions.selectors import signatures_matching

    if not (ip or domain or since or until):
        raise ValueError("Give at least one of ip, domain, since or until.")
    if not reason.strip():
        raise ValueError("Give a reason.")
    petition = petition.canonical
    with transaction.atomic():
        _counter_locked(petition.pk)
        matching = signatures_matching(petition=petition, ip=ip, domain=domain, since=since, until=until).filter(
            status__in=Signature.ACTIVE
        )
        invalidated = matching.update(
            status=Signature.Status.INVALIDATED,
            invalidated_at=timezone.now(),
            invalidated_by=user if getattr(user, "pk", None) else None,
            invalidated_reason=reason.strip()[:300],
        )
    signatures_recount(petition=petition)
    return invalidated


def signature_invalidate(*, signature: Signature, user: Any, reason: str) -> bool:
    """Invalidate one signature and recount its petition. False if it was not pending or confirmed."""
    if not reason.strip():
        raise ValueError("Give a reason.")
    with transaction.atomic():
        _counter_locked(signature.petition_id)
        changed = Signature.objects.filter(pk=signature.pk, status__in=Signature.ACTIVE).update(
            status=Signature.Status.INVALIDATED,
            invalidated_at=timezone.now(),
            invalidated_by=user if getattr(user, "pk", None) else None,
            invalidated_reason=reason.strip()[:300],
        )
    if changed:
        signatures_recount(petition=PetitionPage.objects.get(pk=signature.petition_id))
    return bool(changed)


# -- housekeeping ----------------------------------------------------------------------


def signatures_expire(*, now: datetime.datetime | None = None) -> int:
    """Expire pending signatures older than PETITION_CONFIRM_DAYS. Returns how many expired."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.PETITION_CONFIRM_DAYS)
    return Signature.objects.filter(status=Signature.Status.PENDING, created_at__lt=cutoff).update(
        status=Signature.Status.EXPIRED
    )


# -- privacy: erasure and withdrawn consents ------------------------------------------

ERASED_REASON = "Erased at the signer's request"
# Once delivered, a petition's count is a record of what was handed over: an erased signature stays in it, nameless.
_COUNT_KEPT_STATES = (PetitionPage.State.DELIVERED, PetitionPage.State.RESPONDED)


def _signatures_of(*, supporter_id: int, email_canonical: str) -> Any:
    from django.db.models import Q

    match = Q(supporter_id=supporter_id)
    if email_canonical:
        match |= Q(email_canonical=email_canonical)
    return Signature.objects.filter(match)


def signatures_erase(*, supporter_id: int, email_canonical: str = "") -> dict[str, int]:
    """Erase a person's signatures: identity removed; subtracted from the count unless the petition was delivered.

    A signature that was counted is taken off its petition's counter and its
    region's tally under the counter's lock (the lock every fold takes first),
    so a concurrent fold cannot count it again and nothing is subtracted twice:
    an erased signature is recognised and skipped the next time.
    """
    erased = subtracted = 0
    petition_ids = sorted(
        set(
            _signatures_of(supporter_id=supporter_id, email_canonical=email_canonical)
            .exclude(invalidated_reason=ERASED_REASON)
            .values_list("petition_id", flat=True)
        )
    )
    for petition_id in petition_ids:
        with transaction.atomic():
            _counter_locked(petition_id)
            petition = PetitionPage.objects.get(pk=petition_id)
            keep_count = petition.state in _COUNT_KEPT_STATES
            signatures = list(
                _signatures_of(supporter_id=supporter_id, email_canonical=email_canonical)
                .filter(petition_id=petition_id)
                .exclude(invalidated_reason=ERASED_REASON)
                .select_for_update()
            )
            for signature in signatures:
                counted = signature.status == Signature.Status.CONFIRMED and signature.counted_at is not None
                if counted and not keep_count:
                    PetitionCounter.objects.filter(petition_id=petition_id, total__gt=0).update(
                        total=F("total") - 1, updated_at=timezone.now()
                    )
                    PetitionTally.objects.filter(
                        petition_id=petition_id, country=signature.country, region=signature.region, total__gt=0
                    ).update(total=F("total") - 1)
                    subtracted += 1
                if not (keep_count and signature.status == Signature.Status.CONFIRMED):
                    signature.status = Signature.Status.INVALIDATED
                    signature.invalidated_at = timezone.now()
                    signature.invalidated_by = None
                signature.invalidated_reason = ERASED_REASON
                signature.name = ""
                signature.email = f"erased-{signature.pk}@invalid"
                signature.email_canonical = f"erased-{signature.pk}@invalid"
                signature.email_domain = ""
                signature.postcode = ""
                signature.city = ""
                signature.comment = ""
                signature.public = False
                signature.updates = False
                signature.ip = None
                signature.save()
                erased += 1
        # Once committed (the erasure is one transaction): the cached count, regions and wall, the cached pages.
        transaction.on_commit(lambda petition_id=petition_id: _after_count_change(petition_id))
    return {"signatures_erased": erased, "signatures_subtracted_from_counts": subtracted}


def signatures_public_withdraw(*, supporter_id: int) -> int:
    """The person no longer wants to be shown: their signatures leave every wall at once."""
    petition_ids = sorted(
        set(Signature.objects.filter(supporter_id=supporter_id, public=True).values_list("petition_id", flat=True))
    )
    changed = Signature.objects.filter(supporter_id=supporter_id, public=True).update(public=False)
    for petition_id in petition_ids:
        transaction.on_commit(lambda petition_id=petition_id: _after_count_change(petition_id))
    return changed


def signatures_updates_withdraw(*, supporter_id: int) -> int:
    """The person no longer wants petition updates: no milestone email reaches them."""
    return Signature.objects.filter(supporter_id=supporter_id, updates=True).update(updates=False)
