"""The content files' `watch:` declarations -> WatchedPage rows.

The content loader (guides/loader.py) calls `sync_pages` through the
`guides.hooks.watch_declared` hook, inside the platform's transaction, so a file that
fails to load leaves its watched pages as they were. Only the declarations are
written here; the watcher's state on each page (hashes, validators, failures) is
kept. Pages that leave the file are marked inactive, never deleted: their snapshots
and detected changes stay readable.
"""

from __future__ import annotations

from collections.abc import Sequence

from guides.models import Platform
from watcher.models import WatchedPage


def sync_pages(platform: Platform, declarations: Sequence) -> None:
    urls = []
    for item in declarations:
        url = str(item.url)
        urls.append(url)
        WatchedPage.objects.update_or_create(
            platform=platform,
            url=url,
            defaults={
                "title": item.title,
                "select": list(item.select),
                "remove": list(item.remove),
                "keywords": list(item.keywords),
                "js": item.js,
                "active": True,
            },
        )
    WatchedPage.objects.filter(platform=platform).exclude(url__in=urls).update(active=False)
