"""What the ledger publishes: checkpoints, and the export that the standalone verifier reads.

One implementation serves /ledger/export.json and ``manage.py ledger_export``; the format is
exactly what ``proofs.verify_export`` reads::

    {"format": "ledger-export/1", "organisation": ..., "public_key": ..., "tree_size": N,
     "entries": [{seq, transaction, kind, account, amount_minor, currency, occurred_at, source,
                  designation, donor, chain_hash}, ...],
     "checkpoints": [{tree_size, root_hash, timestamp, organisation, public_key, signature,
                      consistency_from_previous: [hex, ...] | null}, ...]}
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from donations.ledger import proofs
from donations.ledger.models import Checkpoint, LedgerHead
from donations.ledger.verification import entry_rows

EXPORT_FORMAT = "ledger-export/1"
_ENTRY_KEYS = (*proofs.Entry.__dataclass_fields__, "chain_hash")


def checkpoints_with_consistency(*, upto: int | None = None) -> list[dict]:
    """Every checkpoint (oldest first) with the proof that it extends the one before it."""
    from donations.ledger.services import consistency_document

    rows = Checkpoint.objects.order_by("tree_size")
    if upto is not None:
        rows = rows.filter(tree_size__lte=upto)
    result: list[dict] = []
    previous: Checkpoint | None = None
    for checkpoint in rows:
        item = checkpoint.as_dict()
        item["consistency_from_previous"] = (
            consistency_document(first=previous.tree_size, second=checkpoint.tree_size)["proof"]
            if previous is not None and previous.tree_size > 0
            else None
        )
        result.append(item)
        previous = checkpoint
    return result


def export_chunks(*, chunk_size: int = 5_000) -> Iterator[str]:
    """The export as JSON text in pieces, so a large ledger streams without being held in memory.

    It covers the entries that existed when it began (later ones may be posting meanwhile).
    """
    from donations.ledger.services import organisation_name, public_key_b64

    head = LedgerHead.objects.filter(pk=1).first()
    size = head.last_seq if head is not None else 0
    header = {
        "format": EXPORT_FORMAT,
        "organisation": organisation_name(),
        "public_key": public_key_b64(),
        "tree_size": size,
    }
    checkpoints = checkpoints_with_consistency(upto=size)
    yield json.dumps(header, ensure_ascii=False)[:-1] + ', "entries": [\n'
    batch: list[str] = []
    first = True
    dumps = json.dumps
    for row in entry_rows(upto=size, chunk_size=chunk_size):
        batch.append(dumps(dict(zip(_ENTRY_KEYS, row, strict=True)), ensure_ascii=False))
        if len(batch) >= chunk_size:
            yield ("" if first else ",\n") + ",\n".join(batch)
            first, batch = False, []
    if batch:
        yield ("" if first else ",\n") + ",\n".join(batch)
    yield '\n], "checkpoints": ' + json.dumps(checkpoints, indent=1) + "}\n"
