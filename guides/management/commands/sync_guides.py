"""`manage.py sync_guides`: load guides/content/*.yaml into the database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guides.loader import sync


class Command(BaseCommand):
    help = "Validate and load the platform content files (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", type=Path, help="Content directory (default: CONTENT_DIR).")
        parser.add_argument("platforms", nargs="*", help="Only these platform slugs.")

    def handle(self, *args, **options) -> None:
        report = sync(options["dir"], only=options["platforms"] or None)
        for slug in report.created:
            self.stdout.write(f"created {slug}")
        for slug in report.updated:
            self.stdout.write(f"updated {slug} (new version)")
        for slug in report.deactivated:
            self.stdout.write(f"deactivated {slug} (file removed)")
        for change in report.withdrawn:
            self.stdout.write(f"withdrawn policy change {change}")
        for error in report.errors:
            self.stderr.write(f"rejected {error}")
        if not report.changed and not report.errors:
            self.stdout.write(f"no changes ({len(report.unchanged)} platforms up to date)")
        if report.published:
            self.stdout.write(f"published {len(report.published)} policy change(s)")
        if report.errors:
            raise CommandError(f"{len(report.errors)} file(s) rejected; the others were loaded.")
