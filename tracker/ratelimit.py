"""Fixed-window rate limits kept in the cache (Redis in production).

Clients are told apart by a keyed hash of their address that lives only in the cache
for the length of the window: no IP address is ever written to the database or logs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

log = logging.getLogger(__name__)


def _digest(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def client_address(request: HttpRequest) -> str:
    """The client's address: behind our one trusted proxy, the hop it appended last
    (earlier X-Forwarded-For entries are whatever the client chose to send)."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def client_key(request: HttpRequest) -> str:
    return _digest("client:" + client_address(request))


def email_key(email: str) -> str:
    return _digest("email:" + email.strip().lower())


def allow(bucket: str, key: str, *, limit: int, window: int) -> bool:
    """Count one hit; False once `limit` hits happened within `window` seconds."""
    name = f"rl:{bucket}:{key}"
    try:
        cache.add(name, 0, timeout=window)
        try:
            count = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.add(name, 1, timeout=window)
            count = 1
    except Exception as exc:  # noqa: BLE001 - cache down: let people sign in
        log.warning("rate limit cache unavailable: %s", exc.__class__.__name__)
        return True
    return count <= limit
