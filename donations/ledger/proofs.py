#!/usr/bin/env python3
"""The ledger's proofs, and a verifier anyone can run without our database or Django.

This one file is everything an auditor needs besides an export
(``manage.py ledger_export``) and the organisation's public key: it uses only
the Python standard library and, for signatures, the ``cryptography`` package.

    python proofs.py ledger-export.json --public-key <base64 key>

What it checks:

- every entry's canonical form, rebuilt from its fields, hashes to the leaf
  hash, and the chain hash of each entry is SHA-256(previous chain hash ||
  leaf hash): an edited, inserted or removed entry breaks the chain there;
- the RFC 6962 Merkle tree over the leaves has, at each published checkpoint's
  size, the root the checkpoint states;
- every checkpoint is signed by the key given (Ed25519), and each is
  consistent with the next (the log only grew);
- any inclusion or consistency proof in the export verifies.

The site's own code imports the functions here, so the site and the auditor
compute the same hashes from the same definitions.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

FORMAT = "ledger-entry/1"
TREE_HEAD_FORMAT = "ledger-tree-head/1"
ZERO_HASH = bytes(32)


# -- Entries ----------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One posting line of the ledger, as it enters the hash chain and the Merkle tree.

    Amounts are signed integers in minor units: positive debits, negative
    credits. ``donor`` is a salted hash of the donor's reference (or empty): no
    personal data is ever part of an entry.
    """

    seq: int
    transaction: str
    kind: str
    account: str
    amount_minor: int
    currency: str
    occurred_at: str  # UTC, ISO 8601 to the second, ending in Z
    source: str
    designation: str
    donor: str

    def canonical(self) -> bytes:
        return canonical(
            self.seq,
            self.transaction,
            self.kind,
            self.account,
            self.amount_minor,
            self.currency,
            self.occurred_at,
            self.source,
            self.designation,
            self.donor,
        )

    def as_dict(self) -> dict:
        return {
            "seq": self.seq,
            "transaction": self.transaction,
            "kind": self.kind,
            "account": self.account,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "occurred_at": self.occurred_at,
            "source": self.source,
            "designation": self.designation,
            "donor": self.donor,
        }


def canonical(
    seq: int,
    transaction: str,
    kind: str,
    account: str,
    amount_minor: int,
    currency: str,
    occurred_at: str,
    source: str,
    designation: str,
    donor: str,
) -> bytes:
    """An entry's canonical form: its fields joined by "|", none of which may hold a separator."""
    text = "|".join(
        (
            FORMAT,
            str(seq),
            transaction,
            kind,
            account,
            str(amount_minor),
            currency,
            occurred_at,
            source,
            designation,
            donor,
        )
    )
    # Eleven fields give exactly ten separators unless a field holds one itself.
    if text.count("|") != 10 or "\n" in text or "\r" in text:
        raise ValueError(f"entry {seq}: a field holds a separator: {text!r}")
    return text.encode()


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962: the hash of a leaf is SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962: an interior node is SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    """Each entry's chain hash covers the one before it."""
    return hashlib.sha256(previous + leaf).digest()


# -- Merkle tree (RFC 6962, section 2.1) ----------------------------------------------


def largest_power_of_two_below(n: int) -> int:
    """The k of RFC 6962: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """The complete subtrees on the right edge of a growing tree: its root at any size, in O(log n) memory."""

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []  # (height, hash), heights strictly decreasing

    @classmethod
    def restore(cls, size: int, stack: Iterable[tuple[int, bytes]]) -> Frontier:
        frontier = cls()
        frontier.size = size
        frontier.stack = [(height, digest) for height, digest in stack]
        return frontier

    def add(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; returns the complete subtrees it finished as (height, index, hash)."""
        made = [(0, self.size, leaf)]
        height, digest = 0, leaf
        while self.stack and self.stack[-1][0] == height:
            _h, left = self.stack.pop()
            digest = node_hash(left, digest)
            height += 1
            made.append((height, self.size >> height, digest))
        self.stack.append((height, digest))
        self.size += 1
        return made

    def push(self, leaf: bytes) -> None:
        """Add a leaf hash, as ``add`` does, without listing the subtrees it finished (for verifying)."""
        height, digest = 0, leaf
        stack = self.stack
        while stack and stack[-1][0] == height:
            digest = node_hash(stack.pop()[1], digest)
            height += 1
        stack.append((height, digest))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        digest = self.stack[-1][1]
        for _height, left in reversed(self.stack[:-1]):
            digest = node_hash(left, digest)
        return digest


def root_of(leaves: Sequence[bytes]) -> bytes:
    frontier = Frontier()
    for leaf in leaves:
        frontier.add(leaf)
    return frontier.root()


def subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The range [start, end) as complete subtrees (height, index), left to right, as RFC 6962 splits it."""
    parts = []
    while start < end:
        size = end - start
        height = size.bit_length() - 1
        # The split point of MTH(D[start:end]) is start + k; D[start:start+k] is complete.
        if size & (size - 1) == 0:
            parts.append((height, start >> height))
            break
        k = largest_power_of_two_below(size)
        parts.append((k.bit_length() - 1, start // k))
        start += k
    return parts


def range_hash(start: int, end: int, node: Callable[[int, int], bytes]) -> bytes:
    """MTH(D[start:end]) from complete subtree hashes: ``node(height, index)``."""
    parts = [node(height, index) for height, index in subtrees(start, end)]
    digest = parts[-1]
    for left in reversed(parts[:-1]):
        digest = node_hash(left, digest)
    return digest


def inclusion_nodes(index: int, size: int) -> list[tuple[int, int]]:
    """Every complete subtree the inclusion proof of leaf ``index`` in a tree of ``size`` needs."""
    needed: list[tuple[int, int]] = []
    _path(index, 0, size, lambda a, b: needed.extend(subtrees(a, b)) or ZERO_HASH)
    return needed


def inclusion_proof(index: int, size: int, node: Callable[[int, int], bytes]) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]): the audit path of leaf ``index``, bottom up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    return _path(index, 0, size, lambda a, b: range_hash(a, b, node))


def _path(m: int, start: int, end: int, mth: Callable[[int, int], bytes]) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return [*_path(m, start, start + k, mth), mth(start + k, end)]
    return [*_path(m - k, start + k, end, mth), mth(start, start + k)]


def consistency_nodes(first: int, second: int) -> list[tuple[int, int]]:
    needed: list[tuple[int, int]] = []
    if 0 < first < second:
        _subproof(first, 0, second, True, lambda a, b: needed.extend(subtrees(a, b)) or ZERO_HASH)
    return needed


def consistency_proof(first: int, second: int, node: Callable[[int, int], bytes]) -> list[bytes]:
    """RFC 6962 PROOF(m, D[n]): shows the tree of size ``second`` extends the one of size ``first``."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    if first == second:
        return []
    return _subproof(first, 0, second, True, lambda a, b: range_hash(a, b, node))


def _subproof(m: int, start: int, end: int, complete: bool, mth: Callable[[int, int], bytes]) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [mth(start, end)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*_subproof(m, start, start + k, complete, mth), mth(start + k, end)]
    return [*_subproof(m - k, start + k, end, False, mth), mth(start, start + k)]


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162, 2.1.3.2: does ``proof`` put ``leaf`` at ``index`` of the tree with ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    digest = leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            digest = node_hash(digest, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and digest == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162, 2.1.4.2: is the tree of size ``second`` an extension of the tree of size ``first``?"""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is the proof's start
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(sibling, fr)
            sr = node_hash(sibling, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


# -- Signed tree heads -------------------------------------------------------------------


def tree_head_message(*, size: int, root: bytes, timestamp: str, organisation: str) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    return f"{TREE_HEAD_FORMAT}\n{organisation}\n{size}\n{root.hex()}\n{timestamp}\n".encode()


def verify_signature(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError):
        return False
    return True


# -- Verifying an export -----------------------------------------------------------------


@dataclass
class Finding:
    ok: bool
    message: str


def verify_export(export: dict, public_key_b64: str | None = None) -> list[Finding]:
    """Check an export end to end; the first failure of each kind names what differs."""
    findings: list[Finding] = []
    key = public_key_b64 or export.get("public_key", "")
    if public_key_b64 and export.get("public_key") and export["public_key"] != public_key_b64:
        findings.append(Finding(False, "the export names another public key than the one given"))
    entries = [Entry(**{name: row[name] for name in Entry.__dataclass_fields__}) for row in export["entries"]]
    checkpoints = sorted(export.get("checkpoints", []), key=lambda c: c["tree_size"])
    wanted = {c["tree_size"]: c for c in checkpoints}
    roots: dict[int, bytes] = {}
    frontier = Frontier()
    previous = ZERO_HASH
    broken = False
    for position, (entry, row) in enumerate(zip(entries, export["entries"], strict=True)):
        if entry.seq != position + 1:
            findings.append(Finding(False, f"entry at position {position + 1} has number {entry.seq}: one is missing"))
            broken = True
            break
        leaf = leaf_hash(entry.canonical())
        previous = chain_hash(previous, leaf)
        if previous.hex() != row.get("chain_hash"):
            findings.append(Finding(False, f"entry {entry.seq} does not match its chain hash: it was changed"))
            broken = True
            break
        frontier.push(leaf)
        if frontier.size in wanted:
            roots[frontier.size] = frontier.root()
    if not broken:
        findings.append(Finding(True, f"{len(entries)} entries: every chain hash matches its entry"))
    for checkpoint in checkpoints:
        size = checkpoint["tree_size"]
        message = tree_head_message(
            size=size,
            root=bytes.fromhex(checkpoint["root_hash"]),
            timestamp=checkpoint["timestamp"],
            organisation=checkpoint["organisation"],
        )
        if not key or not verify_signature(key, message, checkpoint["signature"]):
            findings.append(Finding(False, f"checkpoint of size {size}: the signature does not verify"))
        elif size > len(entries):
            findings.append(Finding(False, f"checkpoint of size {size}: the export holds only {len(entries)} entries"))
        elif size in roots and roots[size].hex() != checkpoint["root_hash"]:
            findings.append(Finding(False, f"checkpoint of size {size}: the entries give another root"))
        elif size in roots:
            findings.append(Finding(True, f"checkpoint of size {size}: signed, and the entries give its root"))
    for first, second in itertools.pairwise(checkpoints):
        proof = second.get("consistency_from_previous")
        if proof is None:
            continue
        ok = verify_consistency(
            first["tree_size"],
            second["tree_size"],
            bytes.fromhex(first["root_hash"]),
            bytes.fromhex(second["root_hash"]),
            [bytes.fromhex(h) for h in proof],
        )
        findings.append(
            Finding(ok, f"checkpoints {first['tree_size']} -> {second['tree_size']}: consistency proof {_word(ok)}")
        )
    for proof in export.get("inclusion_proofs", []):
        findings.append(check_inclusion_document(proof, key))
    return findings


def check_inclusion_document(document: dict, public_key_b64: str) -> Finding:
    """An inclusion proof as the API serves it: the entry, its audit path and the signed checkpoint."""
    entry = Entry(**{name: document["entry"][name] for name in Entry.__dataclass_fields__})
    checkpoint = document["checkpoint"]
    root = bytes.fromhex(checkpoint["root_hash"])
    signed = verify_signature(
        public_key_b64,
        tree_head_message(
            size=checkpoint["tree_size"],
            root=root,
            timestamp=checkpoint["timestamp"],
            organisation=checkpoint["organisation"],
        ),
        checkpoint["signature"],
    )
    included = verify_inclusion(
        entry.seq - 1,
        checkpoint["tree_size"],
        leaf_hash(entry.canonical()),
        [bytes.fromhex(h) for h in document["audit_path"]],
        root,
    )
    ok = signed and included
    what = "signed checkpoint" if signed else "checkpoint with a bad signature"
    return Finding(
        ok, f"entry {entry.seq} in the {what} of size {checkpoint['tree_size']}: inclusion {_word(included)}"
    )


def _word(ok: bool) -> str:
    return "verifies" if ok else "FAILS"


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a ledger export without the database.")
    parser.add_argument("export", help="the JSON file from manage.py ledger_export or /ledger/export.json")
    parser.add_argument("--public-key", help="the organisation's Ed25519 public key, base64 (default: the export's)")
    parser.add_argument("--proof", action="append", default=[], help="an inclusion proof JSON file to check too")
    args = parser.parse_args(list(argv) if argv is not None else None)
    with open(args.export, encoding="utf-8") as handle:
        export = json.load(handle)
    for path in args.proof:
        with open(path, encoding="utf-8") as handle:
            export.setdefault("inclusion_proofs", []).append(json.load(handle))
    if not args.public_key:
        sys.stderr.write("note: no --public-key given; checking against the key the export names\n")
    findings = verify_export(export, args.public_key)
    for finding in findings:
        sys.stdout.write(("ok    " if finding.ok else "FAIL  ") + finding.message + "\n")
    return 0 if findings and all(f.ok for f in findings) else 1


if __name__ == "__main__":
    sys.exit(main())
