"""`manage.py watch_pages`: check the watched official pages now, in this process."""

from django.core.management.base import BaseCommand, CommandError

from watcher import watch
from watcher.models import WatchedPage


class Command(BaseCommand):
    help = "Check watched pages now (all, or --platform SLUG); prints one line per page."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--platform", action="append", default=[], help="Only this platform (repeatable)."
        )

    def handle(self, *args, **options) -> None:
        pages = WatchedPage.objects.filter(active=True, platform__active=True)
        if options["platform"]:
            pages = pages.filter(platform__slug__in=options["platform"])
            if not pages.exists():
                raise CommandError(f"no watched pages for {', '.join(options['platform'])}")
        counts: dict[str, int] = {}
        for page_id, slug, url in pages.values_list("pk", "platform__slug", "url"):
            result = watch.check_page(page_id)
            if result is None:
                continue
            counts[result.verdict] = counts.get(result.verdict, 0) + 1
            line = f"{result.verdict:<11} {result.outcome:<18} {slug} {url}"
            if result.error:
                line += f" ({result.error})"
            self.stdout.write(line)
        summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
        self.stdout.write(f"checked {sum(counts.values())} page(s): {summary or 'none'}")
