"""Privacy rights: a supporter downloads everything we hold about them, or has it erased.

``supporters`` imports no other app, so each app that holds personal data
registers a *data source* from its ``AppConfig.ready()``:

- ``export(supporter) -> {name: [row, ...]}``: every row it holds about them,
  as JSON-ready dicts (one file per name in the export, as JSON and CSV);
- ``erase(supporter, context) -> {what: count}``: removes or pseudonymises
  what it holds, keeps what the law or the ledger needs, and says what it did.
  Erasing twice must be harmless (the second run finds nothing to do);
- ``files(supporter) -> {name: bytes}`` (optional): documents kept about them
  (receipt PDFs), added to the export under ``<source>/files/``;
- ``kept``: ``(what is kept, why)`` pairs, listed in the confirmation email
  and on the "Erase me" page (docs/privacy.md says the same);
- ``blockers(supporter) -> [reason, ...]``: why erasure cannot go ahead yet
  (for example a monthly gift still running);
- ``consent_withdrawn(supporter, topic)``: the effect of withdrawing a
  consent (a public signature stops showing, survey answers are deleted).

The supporters source runs last: it pseudonymises the Supporter row itself
(``erased-<id>@invalid``, no name), so foreign keys that protect gifts and
receipts still hold and the row names nobody.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supporters.emails import email_canonical
from supporters.models import Consent, PrivacyRequest, SignInLink, Supporter

ERASED_DOMAIN = "invalid"
ERASED_TEXT = "[erased]"
_EXPORT_SALT = "supporters.privacy.export"
_ERASURE_SALT = "supporters.privacy.erasure"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ErasureContext:
    """What an erasure knows about the person before their row is pseudonymised."""

    request: PrivacyRequest | None
    email: str
    name: str

    @property
    def canonical_email(self) -> str:
        return email_canonical(self.email) if self.email else ""

    @property
    def already_erased(self) -> bool:
        return is_erased_email(self.email)


@dataclass(frozen=True)
class DataSource:
    name: str
    label: Any
    export: Callable[[Supporter], dict[str, list[dict[str, Any]]]]
    erase: Callable[[Supporter, ErasureContext], dict[str, int]]
    kept: tuple[tuple[Any, Any], ...] = ()
    blockers: Callable[[Supporter], list[str]] | None = None
    # Work at other services before the data goes (cancelling monthly gifts at the gateway): run outside
    # the erasure's transaction, safe to run again; returns counts for the request log.
    before_erase: Callable[[Supporter, Any], dict[str, int]] | None = None
    consent_withdrawn: Callable[[Supporter, str], None] | None = None
    # Documents we keep about them, put in the export as they are: {file name: bytes}.
    files: Callable[[Supporter], dict[str, bytes]] | None = None
    order: int = 100


_SOURCES: dict[str, DataSource] = {}


def data_source_register(source: DataSource) -> None:
    """Register (or replace, by name) a data source. Call from ``AppConfig.ready()``."""
    _SOURCES[source.name] = source


def data_sources() -> list[DataSource]:
    return sorted(_SOURCES.values(), key=lambda source: (source.order, source.name))


# -- helpers for sources ------------------------------------------------------------


def erased_email(supporter_id: int) -> str:
    return f"erased-{supporter_id}@{ERASED_DOMAIN}"


def is_erased_email(email: str) -> bool:
    return bool(re.fullmatch(rf"erased-\d+@{ERASED_DOMAIN}", email or ""))


def scrub_text(value: str, context: ErasureContext) -> str:
    """``value`` with the person's email address and name (any case) replaced by "[erased]"."""
    if not value:
        return value
    for needle in (context.email, context.name):
        if needle and len(needle) >= 3 and not is_erased_email(needle):
            value = re.sub(re.escape(needle), ERASED_TEXT, value, flags=re.IGNORECASE)
    return value


PERSONAL_KEYS = frozenset(
    {
        "email", "name", "phone", "address", "billing_details", "shipping", "receipt_email",
        "customer_email", "customer_name", "customer_address", "customer_phone", "customer_shipping",
        "last4", "exp_month", "exp_year", "fingerprint", "ip", "ip_address",
    }
)  # fmt: skip


def scrub_json(value: Any, context: ErasureContext, keys: frozenset[str] = PERSONAL_KEYS) -> Any:
    """A JSON value with personal keys emptied and the person's email and name removed from every string."""
    if isinstance(value, dict):
        return {
            k: (None if k in keys and v not in (None, "") else scrub_json(v, context, keys)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_json(item, context, keys) for item in value]
    if isinstance(value, str):
        return scrub_text(value, context)
    return value


def rows(queryset: Iterable[Any], fields: Iterable[str]) -> list[dict[str, Any]]:
    """Model instances as dicts of the named attributes (dotted paths and properties allowed)."""
    names = list(fields)
    out = []
    for obj in queryset:
        row = {}
        for name in names:
            value: Any = obj
            for part in name.split("."):
                value = getattr(value, part, None) if value is not None else None
            if callable(value):
                value = value()
            if isinstance(value, models.Model | Promise):
                value = str(value)
            row[name.replace(".", "_")] = value
        out.append(row)
    return out


# -- export -------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(records: list[dict[str, Any]]) -> bytes:
    headers: list[str] = []
    for record in records:
        headers.extend(key for key in record if key not in headers)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for record in records:
        writer.writerow([_cell(record.get(key)) for key in headers])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM lets spreadsheets read Arabic


def export_collect(supporter: Supporter) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Everything every source holds about the supporter: {source: {name: rows}}."""
    return {source.name: source.export(supporter) for source in data_sources()}


def export_zip(supporter: Supporter, *, generated_at: datetime | None = None) -> bytes:
    """The export file: per source and table, ``<source>/<table>.json`` and ``.csv``, a manifest and a README."""
    generated_at = generated_at or timezone.now()
    data = export_collect(supporter)
    buffer = io.BytesIO()
    manifest: dict[str, Any] = {"supporter_id": supporter.pk, "generated_at": generated_at.isoformat(), "files": []}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for source_name, tables in data.items():
            for table, records in tables.items():
                base = f"{source_name}/{table}"
                archive.writestr(
                    f"{base}.json", json.dumps(records, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
                )
                archive.writestr(f"{base}.csv", _csv(records))
                manifest["files"].append({"name": base, "rows": len(records)})
        for source in data_sources():
            for file_name, content in (source.files(supporter) if source.files else {}).items():
                path = f"{source.name}/files/{file_name}"
                archive.writestr(path, content)
                manifest.setdefault("documents", []).append(path)
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        with translation.override(supporter.language):
            archive.writestr("README.txt", render_to_string("supporters/privacy/export_readme.txt", manifest))
    return buffer.getvalue()


def export_request(*, supporter: Supporter, language: str) -> tuple[PrivacyRequest, bool]:
    """Ask for an export: one queued request at a time (asking again while it is built changes nothing,
    unless the build has been waiting over an hour: then it is queued again)."""
    with transaction.atomic():
        Supporter.objects.select_for_update().get(pk=supporter.pk)
        pending = PrivacyRequest.objects.filter(
            supporter=supporter, kind=PrivacyRequest.Kind.EXPORT, status=PrivacyRequest.Status.QUEUED
        ).first()
        if pending is not None:
            if pending.requested_at < timezone.now() - timedelta(hours=1):
                # A build that died (a lost worker): asking again queues the same request again.
                from supporters.tasks import privacy_export_build

                privacy_export_build.delay_on_commit(pending.pk)
            return pending, False
        request = PrivacyRequest.objects.create(
            supporter=supporter, kind=PrivacyRequest.Kind.EXPORT, status=PrivacyRequest.Status.QUEUED, language=language
        )
    from supporters.tasks import privacy_export_build

    privacy_export_build.delay_on_commit(request.pk)
    return request, True


def export_token(request: PrivacyRequest) -> str:
    return signing.dumps({"r": str(request.reference), "s": request.supporter_id}, salt=_EXPORT_SALT)


def export_url(request: PrivacyRequest) -> str:
    with translation.override(request.language):
        return settings.BASE_URL + reverse("supporters:privacy_export_download", args=[export_token(request)])


def export_for_token(*, token: str, supporter: Supporter) -> tuple[PrivacyRequest | None, bool]:
    """(the export, expired?) for a download link; (None, False) for a link that is not this supporter's."""
    max_age = settings.PRIVACY_EXPORT_DAYS * 86_400
    try:
        data = signing.loads(token, salt=_EXPORT_SALT, max_age=max_age)
        expired = False
    except signing.SignatureExpired:
        data = signing.loads(token, salt=_EXPORT_SALT)
        expired = True
    except signing.BadSignature:
        return None, False
    if not isinstance(data, dict) or data.get("s") != supporter.pk:
        return None, False
    request = PrivacyRequest.objects.filter(
        reference=data.get("r"), supporter=supporter, kind=PrivacyRequest.Kind.EXPORT
    ).first()
    if request is None or request.status not in (PrivacyRequest.Status.DONE, PrivacyRequest.Status.EXPIRED):
        return None, False
    expired = expired or request.status == PrivacyRequest.Status.EXPIRED or not request.file
    expired = expired or (request.expires_at is not None and request.expires_at <= timezone.now())
    return request, expired


def export_build(*, request_id: int) -> bool:
    """Build the export file once and email its link once. A retried task does neither again."""
    now = timezone.now()
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().select_related("supporter").get(pk=request_id)
        if request.kind != PrivacyRequest.Kind.EXPORT or request.status != PrivacyRequest.Status.QUEUED:
            built = False
        else:
            name = f"privacy-exports/{request.reference}.zip"
            storage = request.file.storage
            if storage.exists(name):  # left by a run that died before committing
                storage.delete(name)
            request.file.save(f"{request.reference}.zip", ContentFile(export_zip(request.supporter)), save=False)
            request.status = PrivacyRequest.Status.DONE
            request.completed_at = now
            request.expires_at = now + timedelta(days=settings.PRIVACY_EXPORT_DAYS)
            request.detail = _rows_per_table(request)
            request.save(update_fields=["file", "status", "completed_at", "expires_at", "detail"])
            built = True
    _export_email(request_id=request_id)
    return built


def _rows_per_table(request: PrivacyRequest) -> dict[str, dict[str, int]]:
    """What the export holds, for the log: {source: {table: rows}} (counts only, no personal data)."""
    with request.file.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    detail: dict[str, dict[str, int]] = {}
    for item in manifest["files"]:
        source, _slash, table = item["name"].partition("/")
        detail.setdefault(source, {})[table] = item["rows"]
    return detail


def _export_email(*, request_id: int) -> bool:
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().select_related("supporter").get(pk=request_id)
        if request.status != PrivacyRequest.Status.DONE or request.emailed_at is not None:
            return False
        supporter = request.supporter
        if supporter.erased_at is not None:
            return False
        email_send(
            template="privacy_export_ready",
            to=supporter.email,
            language=request.language,
            context={
                "url": export_url(request),
                "days": settings.PRIVACY_EXPORT_DAYS,
                "expires_at": request.expires_at,
            },
        )
        request.emailed_at = timezone.now()
        request.save(update_fields=["emailed_at"])
    return True


def exports_purge(*, now: datetime | None = None) -> int:
    """Delete export files whose link has expired; the request stays in the log as expired."""
    now = now or timezone.now()
    purged = 0
    due = PrivacyRequest.objects.filter(
        kind=PrivacyRequest.Kind.EXPORT, status=PrivacyRequest.Status.DONE, expires_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            request = PrivacyRequest.objects.select_for_update().get(pk=pk)
            if request.status != PrivacyRequest.Status.DONE:
                continue
            _export_file_delete(request, now)
            request.status = PrivacyRequest.Status.EXPIRED
            request.save(update_fields=["status", "file", "file_deleted_at"])
            purged += 1
    return purged


def _export_file_delete(request: PrivacyRequest, now: datetime) -> None:
    if request.file:
        request.file.storage.delete(request.file.name)
        request.file = ""
        request.file_deleted_at = now


# -- erasure ------------------------------------------------------------------------


def erasure_blockers(supporter: Supporter) -> list[str]:
    reasons: list[str] = []
    for source in data_sources():
        if source.blockers is not None:
            reasons.extend(source.blockers(supporter))
    return reasons


def erasure_kept() -> list[tuple[Any, Any]]:
    """What every source keeps after an erasure, and why (lazy strings)."""
    return [pair for source in data_sources() for pair in source.kept]


def erasure_request(*, supporter: Supporter, language: str) -> PrivacyRequest | None:
    """Step one (a POST from the signed-in session): email a link that confirms. None if something blocks it."""
    if erasure_blockers(supporter):
        return None
    now = timezone.now()
    request = PrivacyRequest.objects.create(
        supporter=supporter,
        kind=PrivacyRequest.Kind.ERASURE,
        status=PrivacyRequest.Status.AWAITING_CONFIRMATION,
        language=language,
        expires_at=now + timedelta(hours=settings.PRIVACY_ERASURE_CONFIRM_HOURS),
    )
    with translation.override(language):
        url = settings.BASE_URL + reverse("supporters:privacy_erase_confirm", args=[erasure_token(request)])
    email_send(
        template="privacy_erasure_confirm",
        to=supporter.email,
        language=language,
        context={"url": url, "hours": settings.PRIVACY_ERASURE_CONFIRM_HOURS, "kept": erasure_kept()},
    )
    request.emailed_at = now
    request.save(update_fields=["emailed_at"])
    return request


def erasure_token(request: PrivacyRequest) -> str:
    return signing.dumps(str(request.reference), salt=_ERASURE_SALT)


def erasure_for_token(*, token: str) -> PrivacyRequest | None:
    """The erasure request a confirmation link stands for, if it can still be confirmed."""
    try:
        reference = signing.loads(token, salt=_ERASURE_SALT, max_age=settings.PRIVACY_ERASURE_CONFIRM_HOURS * 3600)
    except signing.BadSignature:
        return None
    request = PrivacyRequest.objects.filter(reference=reference, kind=PrivacyRequest.Kind.ERASURE).first()
    if request is None or request.status != PrivacyRequest.Status.AWAITING_CONFIRMATION:
        return None
    if request.expires_at and request.expires_at <= timezone.now():
        return None
    return request


def erasure_confirm(*, token: str) -> PrivacyRequest | None:
    """Step two (the button on the emailed link's page): queue the erasure. Confirming twice queues it once."""
    found = erasure_for_token(token=token)
    if found is None:
        return None
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().get(pk=found.pk)
        if request.status != PrivacyRequest.Status.AWAITING_CONFIRMATION:
            return request
        request.status = PrivacyRequest.Status.QUEUED
        request.confirmed_at = timezone.now()
        request.save(update_fields=["status", "confirmed_at"])
        # Other requests waiting for confirmation are superseded by this one.
        PrivacyRequest.objects.filter(
            supporter_id=request.supporter_id,
            kind=PrivacyRequest.Kind.ERASURE,
            status=PrivacyRequest.Status.AWAITING_CONFIRMATION,
        ).update(status=PrivacyRequest.Status.EXPIRED)
    from supporters.tasks import privacy_erasure_run

    privacy_erasure_run.delay_on_commit(request.pk)
    return request


def supporter_erase(*, supporter: Supporter, request: PrivacyRequest | None = None) -> dict[str, dict[str, int]]:
    """Remove or pseudonymise everything every source holds about the supporter, in one transaction.

    Returns what each source did. Running it again on an erased supporter finds nothing more to do.
    """
    with transaction.atomic():
        locked = Supporter.objects.select_for_update().get(pk=supporter.pk)
        context = ErasureContext(request=request, email=locked.email, name=locked.name)
        done = {source.name: source.erase(locked, context) for source in data_sources()}
    supporter.refresh_from_db()
    return done


def erasure_run(*, request_id: int) -> bool:
    """The task's work: erase once, log what was done, and email the (former) address what was kept."""
    request = PrivacyRequest.objects.select_related("supporter").get(pk=request_id)
    if request.kind != PrivacyRequest.Kind.ERASURE or request.status != PrivacyRequest.Status.QUEUED:
        return False
    before: dict[str, dict[str, int]] = {}
    if not erasure_blockers(request.supporter):
        for source in data_sources():
            if source.before_erase is not None:
                before[source.name] = source.before_erase(request.supporter, request)
    with transaction.atomic():
        request = PrivacyRequest.objects.select_for_update().select_related("supporter").get(pk=request_id)
        if request.kind != PrivacyRequest.Kind.ERASURE or request.status != PrivacyRequest.Status.QUEUED:
            return False
        supporter = request.supporter
        blockers = erasure_blockers(supporter)
        if blockers:
            request.status = PrivacyRequest.Status.REFUSED
            request.completed_at = timezone.now()
            request.detail = {"refused": blockers}
            request.save(update_fields=["status", "completed_at", "detail"])
            return False
        address, language = supporter.email, request.language
        done = supporter_erase(supporter=supporter, request=request)
        for name, counts in before.items():
            done[name] = {**counts, **done.get(name, {})}
        request.status = PrivacyRequest.Status.DONE
        request.completed_at = timezone.now()
        request.detail = done
        request.save(update_fields=["status", "completed_at", "detail"])
    if not is_erased_email(address):
        # The last email to the address: sent once, after the erasure committed (a retry finds it done).
        email_send(template="privacy_erasure_done", to=address, language=language, context={"kept": erasure_kept()})
    return True


def erasures_retry(*, now: datetime | None = None) -> int:
    """Queue again confirmed erasures still waiting after an hour (a lost worker). Returns how many."""
    now = now or timezone.now()
    stuck = list(
        PrivacyRequest.objects.filter(
            kind=PrivacyRequest.Kind.ERASURE,
            status=PrivacyRequest.Status.QUEUED,
            confirmed_at__lt=now - timedelta(hours=1),
        ).values_list("pk", flat=True)
    )
    from supporters.tasks import privacy_erasure_run

    for pk in stuck:
        privacy_erasure_run.delay(pk)
    return len(stuck)


# -- consents -----------------------------------------------------------------------


TOPICS = Consent.Topic


def consents_current(supporter: Supporter) -> list[dict[str, Any]]:
    """Per topic, the latest consent (or None): what the privacy page shows with a withdraw button."""
    latest: dict[str, Consent] = {}
    for consent in Consent.objects.filter(supporter=supporter).order_by("-created_at", "-id"):
        latest.setdefault(consent.topic, consent)
    return [{"topic": topic, "label": label, "consent": latest.get(topic)} for topic, label in TOPICS.choices]


def consent_withdraw(*, supporter: Supporter, topic: str, source: str = "account:privacy") -> Consent | None:
    """Withdraw a consent: a new row (granted=False) with the wording withdrawn, then each app's effect.

    None when there is nothing to withdraw (never given, or already withdrawn).
    """
    if topic not in TOPICS.values:
        return None
    with transaction.atomic():
        Supporter.objects.select_for_update().get(pk=supporter.pk)
        latest = Consent.objects.filter(supporter=supporter, topic=topic).order_by("-created_at", "-id").first()
        if latest is None or not latest.granted:
            return None
        withdrawal = Consent.objects.create(
            supporter=supporter,
            topic=topic,
            granted=False,
            wording=latest.wording,
            wording_version=latest.wording_version,
            source=source,
        )
        for data_source in data_sources():
            if data_source.consent_withdrawn is not None:
                data_source.consent_withdrawn(supporter, topic)
    return withdrawal


# -- email --------------------------------------------------------------------------


def email_send(*, template: str, to: str, language: str, context: dict[str, Any]) -> None:
    with translation.override(language):
        full = {
            **context,
            "direction": "rtl" if language.startswith("ar") else "ltr",
            "language": language,
            "site_name": settings.WAGTAIL_SITE_NAME,
        }
        subject = " ".join(render_to_string(f"supporters/email/{template}_subject.txt", full).split())
        text = render_to_string(f"supporters/email/{template}.txt", full)
        html = render_to_string(f"supporters/email/{template}.html", full)
    message = EmailMultiAlternatives(subject, text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


# -- the supporters app's own source ------------------------------------------------


def _export_supporters(supporter: Supporter) -> dict[str, list[dict[str, Any]]]:
    return {
        "supporter": rows([supporter], ["id", "email", "name", "language", "email_verified_at", "created_at"]),
        "consents": rows(
            Consent.objects.filter(supporter=supporter).order_by("created_at", "id"),
            ["topic", "granted", "wording", "wording_version", "source", "created_at"],
        ),
        "sign_in_links": rows(
            SignInLink.objects.filter(email=supporter.email).order_by("created_at"),
            ["email", "language", "next_path", "created_at", "expires_at", "used_at"],
        ),
        "privacy_requests": rows(
            PrivacyRequest.objects.filter(supporter=supporter).order_by("requested_at"),
            ["kind", "status", "requested_at", "confirmed_at", "completed_at", "expires_at"],
        ),
    }


def _erase_supporters(supporter: Supporter, context: ErasureContext) -> dict[str, int]:
    now = timezone.now()
    links, _detail = SignInLink.objects.filter(supporter=supporter).delete()
    if context.email and not context.already_erased:
        more, _detail = SignInLink.objects.filter(email=context.email).delete()
        links += more
    exports = 0
    for request in PrivacyRequest.objects.select_for_update().filter(
        supporter=supporter,
        kind=PrivacyRequest.Kind.EXPORT,
        status__in=[PrivacyRequest.Status.DONE, PrivacyRequest.Status.QUEUED],
    ):
        _export_file_delete(request, now)
        request.status = PrivacyRequest.Status.EXPIRED
        request.save(update_fields=["status", "file", "file_deleted_at"])
        exports += 1
    changed = 0
    if supporter.erased_at is None or supporter.email != erased_email(supporter.pk) or supporter.name:
        supporter.email = erased_email(supporter.pk)
        supporter.name = ""
        supporter.email_verified_at = None
        supporter.session_generation += 1  # every session it had ends
        supporter.erased_at = supporter.erased_at or now
        supporter.save(
            update_fields=["email", "name", "email_verified_at", "session_generation", "erased_at", "updated_at"]
        )
        changed = 1
    return {
        "supporter_pseudonymised": changed,
        "sign_in_links_deleted": links,
        "exports_deleted": exports,
        "consents_kept": Consent.objects.filter(supporter=supporter).count(),
    }


data_source_register(
    DataSource(
        name="supporters",
        label=_("Your details, consents and sign-in links"),
        export=_export_supporters,
        erase=_erase_supporters,
        kept=(
            (
                _("A record that you gave or withdrew each consent, with its wording and date, but not who you are."),
                _("The law asks us to be able to show that we had consent when we wrote to someone."),
            ),
            (
                _("An empty record standing for you (numbered, with no name or email address)."),
                _("Your gifts, receipts and the ledger point to it, so the books stay complete."),
            ),
            (
                _("This request itself: when you asked, and what was done."),
                _("We must be able to show that we honoured it."),
            ),
        ),
        order=1000,
    )
)


def describe_done(detail: dict[str, Any]) -> list[str]:
    """The log's "what was done", one line per source (for staff: plain keys and counts)."""
    lines = []
    for source, counts in sorted((detail or {}).items()):
        if isinstance(counts, dict):
            parts = [f"{key.replace('_', ' ')}: {value}" for key, value in counts.items() if value]
            lines.append(f"{source}: " + (", ".join(parts) if parts else gettext("nothing held")))
        elif isinstance(counts, list):
            lines.append(f"{source}: " + ", ".join(str(item) for item in counts))
    return lines
