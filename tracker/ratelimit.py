"""Fixed-window rate limits kept in the cache (Redis in production): the one limiter.

Clients and email addresses are told apart by a keyed hash (HMAC with SECRET_KEY)
that lives only in the cache for the length of the window: no IP address or email
address is ever written to the database, the cache or the logs. When the cache is
down the limiter fails open (people can still sign in and subscribe) and logs it.

The limits are named here, so every view that sends email on a stranger's request
uses the same ones: `client_allowed(request, SIGN_IN_PER_CLIENT)`,
`address_allowed(email, SIGN_IN_PER_ADDRESS)`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    bucket: str
    limit: int
    window: int  # seconds


SIGN_IN_PER_CLIENT = Limit("signin-client", 10, 3600)
SIGN_IN_PER_ADDRESS = Limit("signin-email", 3, 900)
SUBSCRIBE_PER_CLIENT = Limit("subscribe-client", 10, 3600)


def subscribe_per_address() -> Limit:
    """Subscription emails (confirmation or "already subscribed") to one address a day."""
    return Limit("subscribe-email", settings.REMINDER_CONFIRM_PER_DAY, 24 * 3600)


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


def client_allowed(request: HttpRequest, rule: Limit) -> bool:
    """Count one request from this client against `rule`."""
    return allow(rule.bucket, client_key(request), limit=rule.limit, window=rule.window)


def address_allowed(email: str, rule: Limit) -> bool:
    """Count one email to this address against `rule`."""
    return allow(rule.bucket, email_key(email), limit=rule.limit, window=rule.window)
