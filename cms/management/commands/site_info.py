"""Say where everything is: the site, the admin, outgoing email, and which services are in use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Print where the site, the admin and outgoing email are, and which services are in use."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default=settings.BASE_URL, help="The address the site is served on.")

    def handle(self, *args: Any, url: str, **options: Any) -> None:
        url = url.rstrip("/")
        database = settings.DATABASES["default"]
        if "sqlite" in database["ENGINE"]:
            db = f"SQLite file {database['NAME']}"
        else:
            db = f"PostgreSQL database {database['NAME']} on {database.get('HOST') or 'localhost'}"
        if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
            mail = f"written as files to {settings.EMAIL_FILE_PATH}/"
        else:
            mail = f"sent by {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]} backend"
        tasks = (
            "run at once in the web process (no broker)" if settings.CELERY_TASK_ALWAYS_EAGER else "queued for Celery"
        )
        lines = [
            "",
            f"  Site        {url}/        Arabic: {url}/ar/",
            f"  Admin       {url}/admin/",
            f"  Health      {url}/healthz",
            f"  Email       {mail}",
            f"  Database    {db}",
            f"  Cache       {'Redis' if settings.REDIS_URL else 'local memory'}",
            f"  Tasks       {tasks}",
            "",
        ]
        self.stdout.write("\n".join(lines))
