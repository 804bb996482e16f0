"""A content stamp that changes whenever synced content changes.

Cache keys for shared fragments include it, so a `sync_guides` that changed
something is visible at once without deleting keys one by one.
"""

import time

from django.core.cache import cache

STAMP_KEY = "guides:content-stamp"


def content_stamp() -> str:
    stamp = cache.get(STAMP_KEY)
    if stamp is None:
        stamp = str(time.time_ns())
        cache.add(STAMP_KEY, stamp, timeout=None)
        stamp = cache.get(STAMP_KEY, stamp)
    return stamp


def bump_content_stamp() -> None:
    cache.set(STAMP_KEY, str(time.time_ns()), timeout=None)
