"""Recompute the books' hash chain and Merkle tree from the database and check the signed checkpoints.

``ledger_verify`` (the management command) and the benchmark call :func:`ledger_verify`;
the public export (:mod:`donations.ledger.public`) reads rows with :func:`entry_rows`, so
the database, the export and the standalone verifier see an entry the same way.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import CharField, Func

from donations.ledger import proofs
from donations.ledger.models import Checkpoint, LedgerEntry, LedgerHead, MerkleNode
from donations.ledger.services import ENTRY_FIELDS

CHUNK_SIZE = 20_000

# The canonical fields in proofs.canonical()'s order, then the stored chain hash.
_FIELDS = (*ENTRY_FIELDS, "chain_hash")
_OCCURRED = _FIELDS.index("occurred_at")


class UtcText(Func):
    """PostgreSQL formats the time as the canonical form wants it: no datetime objects made per row."""

    output_field = CharField()
    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


def entry_rows(*, upto: int | None = None, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple]:
    """Every entry in order, as ``(seq, transaction, kind, account, amount, currency, occurred_at text,
    source, designation, donor, chain_hash)``: the first ten are ``proofs.canonical``'s arguments."""
    from donations.ledger.services import utc_text

    rows = LedgerEntry.objects.order_by("seq")
    if upto is not None:
        rows = rows.filter(seq__lte=upto)
    if connection.vendor == "postgresql":
        fields = list(_FIELDS)
        fields[_OCCURRED] = "occurred_text"
        yield from rows.annotate(occurred_text=UtcText("occurred_at")).values_list(*fields).iterator(chunk_size)
        return
    for row in rows.values_list(*_FIELDS).iterator(chunk_size):
        yield (*row[:_OCCURRED], utc_text(row[_OCCURRED]), *row[_OCCURRED + 1 :])


def read_only(*, chunk_size: int = CHUNK_SIZE) -> tuple[int, float]:
    """Only read every row, as the verifier does: the floor under its time. Returns (rows, seconds)."""
    started = time.perf_counter()
    count = 0
    for _row in entry_rows(chunk_size=chunk_size):
        count += 1
    return count, time.perf_counter() - started


@dataclass
class Report:
    entries: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    read_seconds: float = 0.0
    hash_seconds: float = 0.0
    check_seconds: float = 0.0
    first_changed: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_seconds(self) -> float:
        return self.read_seconds + self.hash_seconds + self.check_seconds


def ledger_verify(*, public_key: str | None = None, chunk_size: int = CHUNK_SIZE) -> Report:
    """Rebuild every entry's canonical form, the chain and the tree; check each checkpoint against them.

    The first entry whose stored chain hash does not match its recomputed one is named; checking then
    goes on from the stored hash, so independent changes further on are found (and counted) too.
    """
    from donations.ledger.services import public_key_b64, tree_root

    report = Report()
    checkpoints = list(Checkpoint.objects.order_by("tree_size"))
    wanted = {c.tree_size for c in checkpoints}
    roots: dict[int, bytes] = {}
    frontier = proofs.Frontier()
    previous = proofs.ZERO_HASH
    expected = 1
    changed = 0
    chain_hash = proofs.chain_hash
    for batch, read_seconds in _leaf_batches(chunk_size):
        report.read_seconds += read_seconds
        hashing = time.perf_counter()
        for seq, leaf, stored in batch:
            if seq != expected:
                report.problems.append(
                    f"entry {expected} is missing: the next entry is number {seq}"
                    if seq > expected
                    else f"entry {seq} appears out of order or twice"
                )
                expected = seq
            if leaf is None:  # a field holds a separator: its canonical form is ambiguous
                report.problems.append(_describe_unclean(seq))
                leaf = proofs.ZERO_HASH
            previous = chain_hash(previous, leaf)
            if previous.hex() != stored:
                changed += 1
                if report.first_changed is None:
                    report.first_changed = seq
                    report.problems.append(
                        f"{_describe(seq)} does not match its chain hash: it was changed after it was posted"
                    )
                previous = bytes.fromhex(stored) if len(stored) == 64 else previous
            frontier.push(leaf)
            if frontier.size in wanted:
                roots[frontier.size] = frontier.root()
            expected += 1
        report.hash_seconds += time.perf_counter() - hashing
    report.entries = frontier.size
    if changed > 1:
        report.problems.append(f"{changed} entries in all do not match their chain hash")

    started = time.perf_counter()
    head = LedgerHead.objects.filter(pk=1).first()
    if head is not None and head.last_seq != report.entries:
        report.problems.append(f"the ledger head counts {head.last_seq} entries; the table holds {report.entries}")
    elif head is not None and report.entries and head.last_chain_hash != previous.hex():
        report.problems.append("the ledger head's chain hash is not the last entry's")
    key = public_key or public_key_b64()
    for checkpoint in checkpoints:
        size = checkpoint.tree_size
        message = proofs.tree_head_message(
            size=size,
            root=bytes.fromhex(checkpoint.root_hash),
            timestamp=checkpoint.timestamp,
            organisation=checkpoint.organisation,
        )
        if not proofs.verify_signature(key, message, checkpoint.signature):
            report.problems.append(f"checkpoint of size {size}: the signature does not verify with the key {key}")
        elif size not in roots:
            report.problems.append(f"checkpoint of size {size}: the ledger holds only {report.entries} entries")
        elif roots[size].hex() != checkpoint.root_hash:
            where = _first_leaf_differing(size, chunk_size=chunk_size)
            report.problems.append(
                f"checkpoint of size {size}: the entries give another root"
                + (f"; entry {where} differs from the leaf the tree was built with" if where else "")
            )
        else:
            try:
                stored = tree_root(size)
            except LookupError as error:
                report.problems.append(f"checkpoint of size {size}: the stored tree is incomplete ({error})")
            else:
                if stored.hex() != checkpoint.root_hash:
                    report.problems.append(f"checkpoint of size {size}: the stored tree nodes give another root")
        report.checkpoints += 1
    if not checkpoints:
        report.notes.append("no checkpoint has been published yet")
    elif checkpoints[-1].tree_size < report.entries:
        report.notes.append(f"{report.entries - checkpoints[-1].tree_size} entries are newer than the last checkpoint")
    report.check_seconds = time.perf_counter() - started
    return report


# On PostgreSQL the database builds each entry's canonical form and its leaf hash (SHA-256 of 0x00 ||
# the form) next to the rows, so only (seq, leaf, stored chain hash) cross the wire and Python hashes
# the chain and the tree. The form is the one proofs.canonical() makes: the tests compare the two.
_LEAVES_SQL = """
SELECT seq,
       sha256('\\x00'::bytea || convert_to(
           concat_ws('|', %s::text, seq::text, transaction_uuid, kind, account_code, amount_minor::text, currency,
                     to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                     source_key, designation, donor_commitment),
           'UTF8')),
       concat(transaction_uuid, kind, account_code, currency, source_key, designation, donor_commitment) LIKE '%%|%%',
       chain_hash
FROM donations_ledgerentry
ORDER BY seq
"""


def _leaf_batches(chunk_size: int) -> Iterator[tuple[list[tuple[int, bytes | None, str]], float]]:
    """Batches of (seq, leaf hash or None if the form is ambiguous, stored chain hash), with the time to read each."""
    if connection.vendor == "postgresql":
        # In a transaction the server-side cursor streams: PostgreSQL computes the leaves on its core while
        # this process hashes the chain on the other (outside one it would materialise every row first).
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.execute(_LEAVES_SQL, [proofs.FORMAT])
            batches = _read_ahead(cursor.cursor.fetchmany, chunk_size)
            while True:
                started = time.perf_counter()
                rows = next(batches, None)
                if rows is None:
                    return
                batch = [(seq, None if ambiguous else bytes(leaf), chain) for seq, leaf, ambiguous, chain in rows]
                yield batch, time.perf_counter() - started
        return
    rows = entry_rows(chunk_size=chunk_size)
    while True:
        started = time.perf_counter()
        batch = list(itertools.islice(rows, chunk_size))
        if not batch:
            return
        read = time.perf_counter() - started
        leaves = []
        for row in batch:
            try:
                leaves.append((row[0], proofs.leaf_hash(proofs.canonical(*row[:10])), row[10]))
            except ValueError:
                leaves.append((row[0], None, row[10]))
        yield leaves, read


def _read_ahead(fetch, size: int) -> Iterator[list]:
    """Fetch the next batch in a thread while the caller hashes this one (the wait for the server frees the GIL)."""
    ready: queue.Queue = queue.Queue(maxsize=2)

    def work() -> None:
        try:
            while rows := fetch(size):
                ready.put(rows)
            ready.put(None)
        except BaseException as error:  # noqa: BLE001 - handed to the caller, raised there
            ready.put(error)

    worker = threading.Thread(target=work, name="ledger-verify-reader", daemon=True)
    worker.start()
    while (item := ready.get()) is not None:
        if isinstance(item, BaseException):
            raise item
        yield item
    worker.join()


def _describe(seq: int) -> str:
    row = (
        LedgerEntry.objects.filter(seq=seq)
        .values_list("transaction_uuid", "kind", "account_code", "amount_minor", "currency")
        .first()
    )
    if row is None:
        return f"entry {seq}"
    return f"entry {seq} (transaction {row[0]}, {row[1]}, account {row[2]}, {row[3]} {row[4]})"


def _describe_unclean(seq: int) -> str:
    for row in entry_rows(upto=seq, chunk_size=1):
        if row[0] == seq:
            try:
                proofs.canonical(*row[:10])
            except ValueError as error:
                return str(error)
    return f"entry {seq}: a field holds a separator"


def _first_leaf_differing(size: int, *, chunk_size: int) -> int | None:
    """The first entry whose leaf is not the one the stored tree was built from (its chain may be rewritten too)."""
    leaves = (
        bytes(digest)
        for digest in MerkleNode.objects.filter(height=0, index__lt=size)
        .order_by("index")
        .values_list("hash", flat=True)
        .iterator(chunk_size)
    )
    for row, stored in zip(entry_rows(upto=size, chunk_size=chunk_size), leaves, strict=False):
        try:
            leaf = proofs.leaf_hash(proofs.canonical(*row[:10]))
        except ValueError:
            return row[0]
        if leaf != stored:
            return row[0]
    return None
