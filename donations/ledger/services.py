"""Every write to the books: appending balanced transactions, the chart, checkpoints, expenses.

Appending takes the ledger head's row lock, so entries get consecutive numbers
and each chain hash covers the entry before it; a transaction is posted once
per source key, so a redelivered event or a retried task posts nothing more.
``ledger_post`` appends one transaction; ``ledger_post_many`` appends many
(imported history) under one lock with bulk inserts, through the same
numbering, hashing and tree code (``_Appender``), so the books come out the
same as posting them one after another.
The rules PostgreSQL enforces with triggers (balanced, append-only) are also
checked here, so SQLite keeps the same books.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from donations.bulk import rows_insert
from donations.ledger import proofs
from donations.ledger.models import (
    Account,
    AuditEntry,
    Checkpoint,
    DonorSalt,
    LedgerEntry,
    LedgerHead,
    LedgerTransaction,
    MerkleNode,
)
from supporters.models import Supporter

logger = logging.getLogger(__name__)


class LedgerError(ValueError):
    """A posting the books must refuse (unbalanced, empty, a zero or non-integer amount)."""


@dataclass(frozen=True)
class Line:
    """One side of a posting: positive debits, negative credits, in minor units."""

    account: Account
    amount_minor: int
    currency: str
    designation: str = ""


@dataclass(frozen=True)
class Posting:
    """One balanced transaction for ``ledger_post_many``: what ``ledger_post`` takes, with ids for objects."""

    kind: str
    source_key: str
    occurred_at: datetime
    lines: Sequence[Line]
    memo: str = ""
    donation_id: int | None = None
    expense_id: int | None = None
    donor_id: int | None = None  # the supporter the entries commit to (donor_commitment)
    posted_by_id: int | None = None
    uuid: uuid.UUID | None = None  # the transaction's; a fresh one when not given


def utc_text(moment: datetime) -> str:
    """A time as it enters an entry's canonical form: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- The chart of accounts ---------------------------------------------------------------


def account_get(
    *,
    code: str,
    name: str,
    type: str,
    contra: bool = False,
    restricted: bool = False,
    currency: str = "",
    designation: str = "",
) -> Account:
    """The account with this code, made on first use (the chart grows with currencies and funds)."""
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(
                code=code,
                name=name,
                type=type,
                contra=contra,
                restricted=restricted,
                currency=currency,
                designation=designation,
            )
    except IntegrityError:
        return Account.objects.get(code=code)


# -- Donor commitments ---------------------------------------------------------------------


def donor_commitment(supporter: Supporter | None) -> str:
    """A salted hash standing for the donor in the ledger; without the salt it names nobody."""
    if supporter is None:
        return ""
    salt = DonorSalt.objects.filter(supporter=supporter).values_list("salt", flat=True).first()
    if salt is None:
        try:
            with transaction.atomic():
                salt = DonorSalt.objects.create(supporter=supporter, salt=secrets.token_hex(32)).salt
        except IntegrityError:
            salt = DonorSalt.objects.get(supporter=supporter).salt
    return _commitment(salt, supporter.pk)


def donor_commitments(supporter_ids: Iterable[int], *, batch_size: int = 2000) -> dict[int, str]:
    """``donor_commitment`` of many supporters at once (their missing salts made in one insert), by id."""
    ids = sorted(set(supporter_ids))
    salts: dict[int, str] = {}

    def read(wanted: list[int]) -> None:
        for start in range(0, len(wanted), batch_size):
            chunk = wanted[start : start + batch_size]
            salts.update(DonorSalt.objects.filter(supporter_id__in=chunk).values_list("supporter_id", "salt"))

    read(ids)
    missing = [pk for pk in ids if pk not in salts]
    if missing:
        # ignore_conflicts: a salt made meanwhile by another process wins, and is read back below.
        fresh = [DonorSalt(supporter_id=pk, salt=secrets.token_hex(32)) for pk in missing]
        DonorSalt.objects.bulk_create(fresh, batch_size=batch_size, ignore_conflicts=True)
        read(missing)
    return {pk: _commitment(salts[pk], pk) for pk in ids}


def _commitment(salt: str, supporter_id: int) -> str:
    return hashlib.sha256(f"{salt}:supporter:{supporter_id}".encode()).hexdigest()


# -- Appending ---------------------------------------------------------------------------------


def _check_balanced(lines: Sequence[Line]) -> None:
    if len(lines) < 2:
        raise LedgerError("a ledger transaction needs two or more lines")
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        if type(line.amount_minor) is not int or line.amount_minor == 0:
            raise LedgerError(f"line amounts are non-zero integers in minor units, not {line.amount_minor!r}")
        if line.account.currency and line.account.currency != line.currency:
            raise LedgerError(f"account {line.account.code} holds {line.account.currency}, not {line.currency}")
        totals[line.currency] += line.amount_minor
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced:
        raise LedgerError(f"the lines do not balance: {unbalanced}")


def _locked_head() -> LedgerHead:
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        LedgerHead.objects.get_or_create(pk=1)
        head = LedgerHead.objects.select_for_update().get(pk=1)
    return head


# A stored entry's canonical fields, in proofs.canonical()'s order (verification reads them back so too).
ENTRY_FIELDS = (
    "seq",
    "transaction_uuid",
    "kind",
    "account_code",
    "amount_minor",
    "currency",
    "occurred_at",
    "source_key",
    "designation",
    "donor_commitment",
)


class _Appender:
    """The head's state while appending under its lock: numbers, chains and tree-hashes each new entry.

    Both ``ledger_post`` and ``ledger_post_many`` append through this, so one
    transaction at a time and many at once give the same entries, hashes and head.
    Rows are kept in database form and inserted without the ORM (COPY on
    PostgreSQL, one prepared INSERT on SQLite): no model instance is made per
    entry or tree node, which for a year of imported gifts is most of the time.
    """

    ROW_FIELDS = (*ENTRY_FIELDS, "transaction", "account", "chain_hash")
    NODE_FIELDS = ("height", "index", "hash")

    def __init__(self, head: LedgerHead) -> None:
        self.seq = head.last_seq
        self.previous = bytes.fromhex(head.last_chain_hash)
        self.frontier = proofs.Frontier.restore(head.last_seq, ((h, bytes.fromhex(d)) for h, d in head.frontier))
        self.entries: list[tuple] = []
        self.nodes: list[tuple] = []
        self._stored_time = connection.ops.adapt_datetimefield_value

    def append(self, txn: LedgerTransaction | _Fresh, lines: Sequence[Line], commitment: str) -> None:
        """The entries of ``txn`` (saved, with its kind, source, time and uuid), one per line, in order."""
        uuid_text, occurred = str(txn.uuid), utc_text(txn.occurred_at)
        stored_time = self._stored_time(txn.occurred_at)
        for line in lines:
            self.seq += 1
            entry = proofs.Entry(
                seq=self.seq,
                transaction=uuid_text,
                kind=txn.kind,
                account=line.account.code,
                amount_minor=line.amount_minor,
                currency=line.currency,
                occurred_at=occurred,
                source=txn.source_key,
                designation=line.designation,
                donor=commitment,
            )
            leaf = proofs.leaf_hash(entry.canonical())
            self.previous = proofs.chain_hash(self.previous, leaf)
            # In ROW_FIELDS' order: the canonical fields as entry_of() reads them back, then the keys and hash.
            self.entries.append(
                (
                    entry.seq,
                    entry.transaction,
                    entry.kind,
                    entry.account,
                    entry.amount_minor,
                    entry.currency,
                    stored_time,
                    entry.source,
                    entry.designation,
                    entry.donor,
                    txn.pk,
                    line.account.pk,
                    self.previous.hex(),
                )
            )
            self.nodes.extend(self.frontier.add(leaf))

    def save(self, head: LedgerHead) -> None:
        """Insert the entries and tree nodes, and move the head past them."""
        if not self.entries:
            return
        rows_insert(LedgerEntry, self.ROW_FIELDS, self.entries)
        rows_insert(MerkleNode, self.NODE_FIELDS, self.nodes)
        head.last_seq = self.seq
        head.last_chain_hash = self.previous.hex()
        head.frontier = [[h, d.hex()] for h, d in self.frontier.stack]
        head.save(update_fields=["last_seq", "last_chain_hash", "frontier", "updated_at"])


def ledger_post(
    *,
    kind: str,
    source_key: str,
    occurred_at: datetime,
    lines: Sequence[Line],
    memo: str = "",
    donation=None,
    expense=None,
    donor: Supporter | None = None,
    posted_by=None,
) -> tuple[LedgerTransaction, bool]:
    """Post a balanced transaction once per ``source_key``; returns it and whether it is new."""
    _check_balanced(lines)
    occurred_at = occurred_at.replace(microsecond=0)
    commitment = donor_commitment(donor)
    with transaction.atomic():
        head = _locked_head()
        # Checked under the lock, so a concurrent copy of this posting, committed meanwhile, is seen.
        existing = LedgerTransaction.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing, False
        txn = LedgerTransaction.objects.create(
            kind=kind,
            source_key=source_key,
            occurred_at=occurred_at,
            memo=memo[:255],
            donation=donation,
            expense=expense,
            posted_by=posted_by,
        )
        appender = _Appender(head)
        appender.append(txn, lines, commitment)
        appender.save(head)
    return txn, True


_TRANSACTION_FIELDS = (
    "uuid",
    "kind",
    "source_key",
    "occurred_at",
    "posted_at",
    "memo",
    "donation",
    "expense",
    "posted_by",
)


class _Fresh(NamedTuple):
    """What an entry takes from its transaction (``ledger_post`` passes the LedgerTransaction itself)."""

    pk: int
    uuid: uuid.UUID
    kind: str
    source_key: str
    occurred_at: datetime


def ledger_post_many(postings: Iterable[Posting], *, batch_size: int = 2000) -> list[str]:
    """Post many balanced transactions under one head lock, in order, each once per ``source_key``.

    For imported or historic gifts: the entries get the numbers, chain hashes and
    tree nodes that posting them one by one with ``ledger_post`` would give, in a
    few bulk inserts. A posting whose source key is already in the books (or
    earlier in ``postings``) posts nothing, so running it again posts nothing more
    and a partly posted list posts only what is missing. Every posting is checked
    before anything is written: one unbalanced posting refuses them all. Returns
    the source keys newly posted.
    """
    postings = list(postings)
    for item in postings:
        try:
            _check_balanced(item.lines)
        except LedgerError as error:
            raise LedgerError(f"{item.source_key}: {error}") from None
    commitments = donor_commitments(item.donor_id for item in postings if item.donor_id)
    with transaction.atomic():
        head = _locked_head()
        # Read under the lock, as ledger_post does, so what a concurrent posting committed is seen.
        keys = [item.source_key for item in postings]
        posted: set[str] = set()
        for start in range(0, len(keys), batch_size):
            chunk = keys[start : start + batch_size]
            posted.update(LedgerTransaction.objects.filter(source_key__in=chunk).values_list("source_key", flat=True))
        postings_fresh: list[Posting] = []
        for item in postings:
            if item.source_key not in posted:
                posted.add(item.source_key)
                postings_fresh.append(item)
        if not postings_fresh:
            return []
        db = connections[DEFAULT_DB_ALIAS]  # the connection itself: ``connection`` is a proxy, slow per attribute
        adapt, uuid_field = db.ops.adapt_datetimefield_value, LedgerTransaction._meta.get_field("uuid")
        now = adapt(timezone.now())
        fresh = [
            _Fresh(
                pk=0,
                uuid=item.uuid or uuid.uuid4(),
                kind=item.kind,
                source_key=item.source_key,
                occurred_at=item.occurred_at.replace(microsecond=0),
            )
            for item in postings_fresh
        ]
        rows = [
            (
                uuid_field.get_db_prep_save(txn.uuid, db),
                txn.kind,
                txn.source_key,
                adapt(txn.occurred_at),
                now,
                item.memo[:255],
                item.donation_id,
                item.expense_id,
                item.posted_by_id,
            )
            for txn, item in zip(fresh, postings_fresh, strict=True)
        ]
        rows_insert(LedgerTransaction, _TRANSACTION_FIELDS, rows)
        ids: dict[str, int] = {}
        for start in range(0, len(fresh), batch_size):
            chunk = [txn.source_key for txn in fresh[start : start + batch_size]]
            ids.update(LedgerTransaction.objects.filter(source_key__in=chunk).values_list("source_key", "pk"))
        appender = _Appender(head)
        for txn, item in zip(fresh, postings_fresh, strict=True):
            appender.append(txn._replace(pk=ids[txn.source_key]), item.lines, commitments.get(item.donor_id, ""))
        appender.save(head)
    return [txn.source_key for txn in fresh]


def entry_of(row: LedgerEntry) -> proofs.Entry:
    """The canonical entry of a stored row."""
    return proofs.Entry(
        seq=row.seq,
        transaction=row.transaction_uuid,
        kind=row.kind,
        account=row.account_code,
        amount_minor=row.amount_minor,
        currency=row.currency,
        occurred_at=utc_text(row.occurred_at),
        source=row.source_key,
        designation=row.designation,
        donor=row.donor_commitment,
    )


# -- Signed checkpoints ------------------------------------------------------------------------


def _private_key():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = settings.LEDGER_SIGNING_KEY
    if not seed:
        path = settings.LEDGER_SIGNING_KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = base64.b64encode(secrets.token_bytes(32)).decode()
            # Written whole beside it, then linked into place: another process either made it first
            # (FileExistsError) or finds it complete, never half written.
            draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
            draft.write_text(fresh + "\n", encoding="ascii")
            draft.chmod(0o600)
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        seed = path.read_text(encoding="ascii").strip()
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed))


def public_key_b64() -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = _private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def organisation_name() -> str:
    from wagtail.models import Site

    from cms.models import OrganisationSettings

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return "organisation"
    return OrganisationSettings.for_site(site).organisation_name or site.site_name or "organisation"


def tree_root(size: int) -> bytes:
    """The Merkle root of the first ``size`` entries, from the stored complete subtrees."""
    return proofs.range_hash(0, size, node_getter(proofs.subtrees(0, size))) if size else proofs.root_of([])


_NODES_SQL = (
    "SELECT n.height, n.index, n.hash FROM donations_merklenode n "
    "JOIN unnest(%s::smallint[], %s::bigint[]) AS k(height, index) "
    "ON n.height = k.height AND n.index = k.index"
)


def node_getter(keys: Iterable[tuple[int, int]]):
    """Fetch these complete subtrees in one query; returns ``node(height, index)``."""
    keys = set(keys)
    found: dict[tuple[int, int], bytes] = {}
    # One query for every level (a proof needs about one node per level: ~20 round trips otherwise).
    if keys and connection.vendor == "postgresql":
        # The ORM's OR of twenty conditions costs more to build than the query takes to run.
        heights, indexes = zip(*keys, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(_NODES_SQL, [list(heights), list(indexes)])
            for height, index, digest in cursor.fetchall():
                found[(height, index)] = bytes(digest)
    elif keys:
        by_height: dict[int, list[int]] = defaultdict(list)
        for height, index in keys:
            by_height[height].append(index)
        wanted = Q()
        for height, indexes in by_height.items():
            wanted |= Q(height=height, index__in=indexes)
        for height, index, digest in MerkleNode.objects.filter(wanted).values_list("height", "index", "hash"):
            found[(height, index)] = bytes(digest)
    return _lookup(found)


def _lookup(found: dict[tuple[int, int], bytes]):
    def node(height: int, index: int) -> bytes:
        try:
            return found[(height, index)]
        except KeyError:
            raise LookupError(f"the tree has no complete subtree at height {height}, index {index}") from None

    return node


def _entry_with_nodes(seq: int, keys: Iterable[tuple[int, int]]) -> tuple[LedgerEntry, object]:
    """Entry ``seq`` and the tree nodes its proof needs: one round trip on PostgreSQL, two elsewhere."""
    if connection.vendor != "postgresql":
        return LedgerEntry.objects.get(seq=seq), node_getter(keys)
    heights, indexes = zip(*keys, strict=True) if keys else ((), ())
    columns = ", ".join(f"e.{name}" for name in ENTRY_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns}, (SELECT json_agg(json_build_array(n.height, n.index, encode(n.hash, 'hex'))) "  # noqa: S608 - fixed column names
            f"FROM ({_NODES_SQL}) AS n) FROM donations_ledgerentry e WHERE e.seq = %s",
            [list(heights), list(indexes), seq],
        )
        row = cursor.fetchone()
    if row is None:
        raise LedgerEntry.DoesNotExist(f"no ledger entry {seq}")
    entry = LedgerEntry(**dict(zip(ENTRY_FIELDS, row[:-1], strict=True)))
    nodes = row[-1] or []
    if isinstance(nodes, str):
        nodes = json.loads(nodes)
    return entry, _lookup({(height, index): bytes.fromhex(digest) for height, index, digest in nodes})


def checkpoint_publish(*, force: bool = False) -> Checkpoint | None:
    """Sign the tree as it stands, if it grew since the last checkpoint (or ``force`` and it is empty)."""
    with transaction.atomic():
        head = _locked_head()
        size = head.last_seq
        latest = Checkpoint.objects.order_by("-tree_size").first()
        if (latest is not None and latest.tree_size >= size) or (size == 0 and not force):
            return None
        root = tree_root(size)
        stamp = utc_text(timezone.now())
        organisation = organisation_name()
        message = proofs.tree_head_message(size=size, root=root, timestamp=stamp, organisation=organisation)
        signature = base64.b64encode(_private_key().sign(message)).decode()
        return Checkpoint.objects.create(
            tree_size=size,
            root_hash=root.hex(),
            timestamp=stamp,
            organisation=organisation,
            public_key=public_key_b64(),
            signature=signature,
        )


# -- Proofs served to the public -------------------------------------------------------------------


def inclusion_document(*, seq: int, checkpoint: Checkpoint | None = None) -> dict:
    """Entry ``seq``, its audit path and the signed checkpoint it is proved against (the latest by default)."""
    checkpoint = checkpoint or Checkpoint.objects.order_by("-tree_size").first()
    if checkpoint is None or seq > checkpoint.tree_size:
        raise LookupError("no checkpoint covers this entry yet")
    index, size = seq - 1, checkpoint.tree_size
    row, node = _entry_with_nodes(seq, proofs.inclusion_nodes(index, size))
    path = proofs.inclusion_proof(index, size, node)
    return {
        "entry": entry_of(row).as_dict(),
        "leaf_index": index,
        "audit_path": [digest.hex() for digest in path],
        "checkpoint": checkpoint.as_dict(),
    }


def consistency_document(*, first: int, second: int) -> dict:
    """Proof that the checkpoint of size ``second`` extends the one of size ``first``."""
    older = Checkpoint.objects.get(tree_size=first)
    newer = Checkpoint.objects.get(tree_size=second)
    path = proofs.consistency_proof(first, second, node_getter(proofs.consistency_nodes(first, second)))
    return {"first": older.as_dict(), "second": newer.as_dict(), "proof": [digest.hex() for digest in path]}


# -- The audit log -------------------------------------------------------------------------------------


def audit_record(*, actor, action: str, obj, summary: str, detail: dict | None = None) -> AuditEntry:
    """Log a staff action on money (a refund, an offline gift, an expense decision, a voided receipt)."""
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        summary=summary[:500],
        detail=detail or {},
    )
