"""``manage.py ledger_checkpoint``: sign and publish the tree as it stands now."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from donations.ledger.services import checkpoint_publish


class Command(BaseCommand):
    help = "Publish a signed checkpoint of the ledger now, if it grew since the last one."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="sign even an empty ledger")

    def handle(self, *args, force=False, **options):
        checkpoint = checkpoint_publish(force=force)
        if checkpoint is None:
            self.stdout.write("nothing new to sign: the last checkpoint covers every entry")
            return
        self.stdout.write(
            f"checkpoint of size {checkpoint.tree_size}, root {checkpoint.root_hash}, signed at {checkpoint.timestamp}"
        )
