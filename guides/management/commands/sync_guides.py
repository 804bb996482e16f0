"""`manage.py sync_guides`: load guides/content/*.yaml into the database.

Prints a short summary (what was loaded, what changed, what was rejected and why),
not one line per file or per background task.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from guides.loader import SyncReport, sync


def _names(slugs: list[str], limit: int = 8) -> str:
    shown = ", ".join(slugs[:limit])
    return shown + (f" and {len(slugs) - limit} more" if len(slugs) > limit else "")


def summary(report: SyncReport) -> list[str]:
    total = len(report.created) + len(report.updated) + len(report.unchanged)
    lines = []
    if not report.changed and not report.errors:
        return [f"no changes ({len(report.unchanged)} platforms up to date)"]
    lines.append(
        f"{total} platform(s) loaded: {len(report.created)} new, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged"
    )
    if report.created:
        lines.append(f"  new: {_names(report.created)}")
    if report.updated:
        lines.append(f"  updated (new version): {_names(report.updated)}")
    if report.deactivated:
        lines.append(f"  deactivated (file removed): {_names(report.deactivated)}")
    if report.published:
        lines.append(
            f"{len(report.published)} policy change(s) published; confirmed followers are reminded"
        )
    return lines


class Command(BaseCommand):
    help = "Validate and load the platform content files (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", type=Path, help="Content directory (default: CONTENT_DIR).")
        parser.add_argument("platforms", nargs="*", help="Only these platform slugs.")

    def handle(self, *args, **options) -> None:
        report = sync(options["dir"], only=options["platforms"] or None)
        for line in summary(report):
            self.stdout.write(line)
        for error in report.errors:
            self.stderr.write(f"rejected {error}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} file(s) rejected; the others were loaded.")
