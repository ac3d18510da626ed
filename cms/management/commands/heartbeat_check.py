"""Exit non-zero when no Celery worker has run the scheduled heartbeat lately.

Used as beat's health check in docker-compose.yml: a passing check means beat
scheduled the task, the broker delivered it and a worker ran it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cms.selectors import heartbeat_latest


class Command(BaseCommand):
    help = "Fail unless the periodic heartbeat task ran within --max-age seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-age", type=int, default=300, help="Seconds (default 300).")

    def handle(self, *args: Any, max_age: int, **options: Any) -> None:
        latest = heartbeat_latest()
        if latest is None:
            raise CommandError("No heartbeat recorded yet: is a worker running, and beat?")
        age = (timezone.now() - latest.last_seen).total_seconds()
        if age > max_age:
            raise CommandError(f"Last heartbeat was {age:.0f} s ago (from {latest.hostname}); limit {max_age} s.")
        self.stdout.write(f"Heartbeat {age:.0f} s ago from {latest.hostname}.")
