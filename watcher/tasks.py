"""Celery tasks of the policy watcher (the logic lives in watcher/watch.py).

Beat runs `watcher.watch_all` (CELERY_BEAT_SCHEDULE in settings); it fans out one
`watcher.check_page` per active watched page. Politeness across worker processes:
pages on the same registrable domain are spread out with a countdown, and a check
takes a per-host lock in the cache (Redis in production) so two workers never fetch
from one host at once; a check that finds the lock taken tries again a little later.
"""

from __future__ import annotations

from collections import defaultdict

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from watcher import watch
from watcher.fetch import site_key
from watcher.models import WatchedPage

HOST_LOCK_SECONDS = 300  # longer than one check can take (two fetches with timeouts)


def _host(url: str) -> str:
    return site_key(url)


@shared_task(name="watcher.watch_all")
def watch_all(platform_slugs: list[str] | None = None) -> int:
    """Enqueue one check per active watched page (optionally of some platforms only).

    Invariant: enqueues, never fetches; running it twice only checks pages again, which
    is harmless (a check is idempotent). Also prunes snapshots nothing refers to.
    """
    pages = WatchedPage.objects.filter(active=True, platform__active=True)
    if platform_slugs:
        pages = pages.filter(platform__slug__in=platform_slugs)
    spacing = float(settings.WATCH_HOST_SPACING)
    per_host: dict[str, int] = defaultdict(int)
    count = 0
    for page_id, url in pages.order_by("pk").values_list("pk", "url"):
        host = _host(url)
        check_page.apply_async((page_id,), countdown=per_host[host] * spacing)
        per_host[host] += 1
        count += 1
    watch.prune_snapshots()
    return count


@shared_task(name="watcher.check_page", bind=True, max_retries=20)
def check_page(self, page_id: int) -> str | None:
    """Check one watched page; returns the verdict, or None when the page is gone.

    Invariant: re-reads the row, holds the page's host lock while fetching, and is safe
    to run twice (the second run finds the text it stored, or a conditional update
    lets only one of two concurrent runs record a change).
    """
    url = WatchedPage.objects.filter(pk=page_id).values_list("url", flat=True).first()
    if url is None:
        return None
    key = f"watch:host:{_host(url)}"
    if not cache.add(key, page_id, timeout=HOST_LOCK_SECONDS):
        raise self.retry(countdown=float(settings.WATCH_HOST_SPACING))
    try:
        result = watch.check_page(page_id)
    finally:
        cache.delete(key)
    return result.verdict.value if result else None
