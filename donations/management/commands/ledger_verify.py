"""``manage.py ledger_verify``: recompute the chain and the tree and check them against the checkpoints."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from donations.ledger.verification import CHUNK_SIZE, ledger_verify


class Command(BaseCommand):
    help = (
        "Recompute every entry's hash chain and the Merkle tree from the database, check them against "
        "the signed checkpoints and name the first entry that differs. Exits non-zero on any difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--public-key", help="check signatures with this base64 key (default: the configured one)")
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help=f"rows per fetch ({CHUNK_SIZE})")

    def handle(self, *args, public_key=None, chunk_size=CHUNK_SIZE, **options):
        report = ledger_verify(public_key=public_key, chunk_size=chunk_size)
        for note in report.notes:
            self.stdout.write(f"note  {note}")
        for problem in report.problems:
            self.stdout.write(self.style.ERROR(f"FAIL  {problem}"))
        self.stdout.write(
            f"{report.entries} entries, {report.checkpoints} checkpoints in {report.total_seconds:.2f} s "
            f"(reading rows {report.read_seconds:.2f} s, hashing {report.hash_seconds:.2f} s, "
            f"checkpoints {report.check_seconds:.2f} s)"
        )
        if not report.ok:
            raise CommandError(f"the ledger does not verify: {report.problems[0]}")
        self.stdout.write(self.style.SUCCESS("ok    every entry matches its chain hash and every checkpoint verifies"))
