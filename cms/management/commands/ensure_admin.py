"""Make sure a superuser exists for the Wagtail admin, and say how to sign in."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the admin superuser if it does not exist. Credentials come from ADMIN_USERNAME, "
        "ADMIN_EMAIL and ADMIN_PASSWORD, or a password is generated and kept in var/admin-password.txt."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("ADMIN_USERNAME", "admin")
        email = os.environ.get("ADMIN_EMAIL", "admin@example.org")
        password_file = Path(settings.VAR_DIR) / "admin-password.txt"
        User = get_user_model()
        user = User.objects.filter(username=username).first()

        given = os.environ.get("ADMIN_PASSWORD")
        if user is not None and not given:
            kept = password_file.read_text().strip() if password_file.exists() else ""
            if kept and user.check_password(kept):
                self.stdout.write(f"Admin user '{username}' exists, password {kept} (kept in {password_file}).")
            else:
                self.stdout.write(f"Admin user '{username}' exists; its password was changed, so it is not shown.")
            return

        password = given or secrets.token_urlsafe(12)
        if user is None:
            user = User.objects.create_superuser(username=username, email=email, password=password)
            action = "Created"
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
            action = "Updated"
        if not given:
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        shown = password if not given else "(from ADMIN_PASSWORD)"
        self.stdout.write(self.style.SUCCESS(f"{action} admin user '{username}' with password {shown}"))
