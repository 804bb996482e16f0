"""Single-use, short-lived links sent by email: sign-in and subscription confirmation.

One mechanism for both: `issue` stores only a SHA-256 of a random token (a database
leak yields no live link) with an expiry; `find` says whether a link is live, or
raises the LinkError that says why not; `claim` uses it exactly once with a
conditional UPDATE, so a double POST or two browsers racing cannot both win.

Links in reminders (manage, unsubscribe) are not these: they are the subscription's
own token signed per use (tracker.emails.signed_token), but a bad one raises the same
InvalidLink, so every view answers broken links the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from tracker.models import EmailToken


class LinkError(Exception):
    """A link that cannot be used; `status` and `reason` are what its page says."""

    status = 404
    reason = "unknown"


class InvalidLink(LinkError):
    """No such link (mistyped, forged, or what it pointed to was deleted)."""


class UsedLink(LinkError):
    status = 410
    reason = "used"


class ExpiredLink(LinkError):
    status = 410
    reason = "expired"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(purpose: str, email: str, *, lifetime: dt.timedelta, **extra) -> str:
    """Store a new link's hash; return the raw token (it goes in the email, nowhere else)."""
    raw = secrets.token_urlsafe(32)
    EmailToken.objects.create(
        purpose=purpose,
        email=email.strip().lower(),
        token_hash=hash_token(raw),
        expires_at=timezone.now() + lifetime,
        **extra,
    )
    return raw


def find(purpose: str, raw: str) -> EmailToken:
    """The live token for a link, or the LinkError that says why not."""
    row = (
        EmailToken.objects.filter(purpose=purpose, token_hash=hash_token(raw))
        .select_related("subscription")
        .first()
    )
    if row is None or (purpose == EmailToken.Purpose.CONFIRM and row.subscription is None):
        raise InvalidLink
    if row.used_at is not None:
        raise UsedLink
    if row.expires_at <= timezone.now():
        raise ExpiredLink
    return row


def claim(purpose: str, raw: str) -> EmailToken:
    """Use a link exactly once (a conditional UPDATE): the loser of a race gets UsedLink."""
    row = find(purpose, raw)
    now = timezone.now()
    won = EmailToken.objects.filter(pk=row.pk, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if not won:
        raise UsedLink
    row.used_at = now
    return row
