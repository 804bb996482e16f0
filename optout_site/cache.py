"""A content stamp that changes whenever synced content changes, and a cache that
never takes a page down.

Cache keys for shared pages include the stamp, so a `sync_guides` that changed
something (or a published policy change) is visible at once without deleting keys
one by one. When the cache (Redis) is unreachable, reads miss and writes are
dropped: pages are rendered fresh instead of failing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import cache

log = logging.getLogger(__name__)
STAMP_KEY = "guides:content-stamp"


def safe_get(key: str, default: Any = None) -> Any:
    try:
        return cache.get(key, default)
    except Exception as exc:  # noqa: BLE001 - any cache failure is a miss
        log.warning("cache get failed: %s", exc.__class__.__name__)
        return default


def safe_set(key: str, value: Any, timeout: float | None) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception as exc:  # noqa: BLE001 - a lost write only costs a re-render
        log.warning("cache set failed: %s", exc.__class__.__name__)


def content_stamp() -> str:
    stamp = safe_get(STAMP_KEY)
    if stamp is None:
        stamp = str(time.time_ns())
        try:
            cache.add(STAMP_KEY, stamp, timeout=None)
            stamp = cache.get(STAMP_KEY, stamp)
        except Exception:  # noqa: BLE001
            return "no-cache-" + stamp  # unique: nothing cached under it is reused
    return stamp


def bump_content_stamp() -> None:
    safe_set(STAMP_KEY, str(time.time_ns()), timeout=None)
