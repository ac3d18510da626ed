"""``manage.py ledger_keygen``: a fresh Ed25519 signing key for LEDGER_SIGNING_KEY, and its public key."""

from __future__ import annotations

import base64
import secrets

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print a new base64 Ed25519 seed (set it as LEDGER_SIGNING_KEY; keep it secret) and its public key."

    def handle(self, *args, **options):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        seed = secrets.token_bytes(32)
        public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.stdout.write(f"LEDGER_SIGNING_KEY={base64.b64encode(seed).decode()}")
        self.stdout.write(f"public key: {base64.b64encode(public).decode()}")
