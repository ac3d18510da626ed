"""``manage.py ledger_export``: the ledger as JSON for the standalone verifier (as /ledger/export.json)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from donations.ledger.public import export_chunks


class Command(BaseCommand):
    help = "Write every entry and signed checkpoint as JSON, for `python proofs.py export.json --public-key ...`."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", default="-", help="file to write (default: standard output)")

    def handle(self, *args, output="-", **options):
        if output == "-":
            for piece in export_chunks():
                sys.stdout.write(piece)
            sys.stdout.flush()
            return
        with open(output, "w", encoding="utf-8") as handle:
            for piece in export_chunks():
                handle.write(piece)
        self.stderr.write(f"wrote {output}")
