"""`manage.py sync_guides`: load guides/content/*.yaml into the database.

Prints a short summary (what was loaded, what changed, what was rejected and why),
not one line per file or per background task.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from celery import current_app
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


@contextmanager
def quiet_eager_tasks() -> Iterator[None]:
    """Tasks run in-process (make run) would log a line each; the summary says it all."""
    if not current_app.conf.task_always_eager:
        yield
        return
    loggers = [logging.getLogger(name) for name in ("celery.app.trace", "kombu.connection")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Validate and load the platform content files (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", type=Path, help="Content directory (default: CONTENT_DIR).")
        parser.add_argument("platforms", nargs="*", help="Only these platform slugs.")

    def handle(self, *args, **options) -> None:
        with quiet_eager_tasks():
            report = sync(options["dir"], only=options["platforms"] or None)
        for line in summary(report):
            self.stdout.write(line)
        for error in report.errors:
            self.stderr.write(f"rejected {error}")
        if report.errors:
            raise CommandError(f"{len(report.errors)} file(s) rejected; the others were loaded.")
