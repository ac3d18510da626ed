from typing import Any

from django.core.management.base import BaseCommand

from cms.demo import load_demo


class Command(BaseCommand):
    help = "Create the demo site in English and Arabic. Safe to run again: it only adds what is missing."

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_demo()
        if report.created:
            for item in report.created:
                self.stdout.write(f"  created {item}")
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({len(report.created)} items)."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
