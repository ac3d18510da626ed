from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from cms.demo import DemoReport


class Command(BaseCommand):
    help = "Create the demo site in English and Arabic. Safe to run again: it only adds what is missing."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            metavar="LOADER",
            help="leave out one of settings.DEMO_LOADERS, e.g. donations.demo.load_demo_gifts (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = DemoReport()
        unknown = set(options["skip"]) - set(settings.DEMO_LOADERS)
        if unknown:
            raise CommandError(f"no such demo loader: {', '.join(sorted(unknown))}")
        with transaction.atomic():
            # Each app adds its own demo data, in dependency order (settings.DEMO_LOADERS).
            for path in settings.DEMO_LOADERS:
                if path not in options["skip"]:
                    import_string(path)(report)
        if report.created:
            for item in report.created:
                self.stdout.write(f"  created {item}")
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({len(report.created)} items)."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
