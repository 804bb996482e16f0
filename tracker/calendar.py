"""The personal calendar: reply-due dates of the person's requests and re-check dates of
finished guides that tend to revert, at a secret address they can revoke.

Only a SHA-256 of the token is stored (CalendarFeed); issuing a new one replaces the
old, revoking deletes it, and an unknown token is a 404. Events have stable UIDs;
a request's SEQUENCE is its `sequence` (bumped on every change), a re-check's is
the minutes from 2024 to the time the guide was finished, which only grows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone

from guides import ics
from guides.models import Guide
from tracker.models import CalendarFeed, Progress, Request, Visitor

EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(visitor: Visitor) -> str:
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        visitor=visitor, defaults={"token_hash": _hash(token), "created_at": timezone.now()}
    )
    return token


def revoke(visitor: Visitor) -> None:
    CalendarFeed.objects.filter(visitor=visitor).delete()


def has_feed(visitor: Visitor | None) -> bool:
    return visitor is not None and CalendarFeed.objects.filter(visitor=visitor).exists()


def _host() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/")[0]


def request_events(visitor: Visitor) -> list[ics.Event]:
    rows = Request.objects.filter(visitor=visitor, reply_due__isnull=False).select_related(
        "guide__platform"
    )
    return [
        ics.Event(
            uid=f"request-{r.pk}@{_host()}",
            day=r.reply_due,
            summary=f"Reply due: {r.guide.platform.name} ({r.asks})",
            description=f"Sent on {r.sent_on:%d %b %Y} to {r.recipient}. Status: {r.status}.",
            url=settings.SITE_URL + "/me/",
            sequence=r.sequence,
            stamp=r.updated_at,
        )
        for r in rows
    ]


def recheck_events(visitor: Visitor) -> list[ics.Event]:
    """Finished guides with recheck_after_days: one event on the re-check date."""
    guides = {
        g.pk: g
        for g in Guide.objects.filter(active=True, recheck_after_days__isnull=False)
        .select_related("platform")
        .prefetch_related("steps")
    }
    finished: dict[int, dt.datetime] = {}
    ticks: dict[int, set[int]] = {}
    for tick in Progress.objects.filter(visitor=visitor, guide_id__in=list(guides)):
        ticks.setdefault(tick.guide_id, set()).add(tick.step_id)
        finished[tick.guide_id] = max(finished.get(tick.guide_id, tick.done_at), tick.done_at)
    who = hashlib.sha256(str(visitor.pk).encode()).hexdigest()[:16]
    events = []
    for guide_id, done in ticks.items():
        guide = guides[guide_id]
        steps = {s.pk for s in guide.steps.all() if s.active}
        if not steps or not steps <= done:
            continue
        at = finished[guide_id]
        events.append(
            ics.Event(
                uid=f"recheck-{guide.pk}-{who}@{_host()}",
                day=(at + dt.timedelta(days=guide.recheck_after_days)).date(),
                summary=f"Re-check: {guide.platform.name}: {guide.title}",
                url=settings.SITE_URL + guide.get_absolute_url(),
                sequence=int((at - EPOCH).total_seconds() // 60),
                stamp=at,
            )
        )
    return events


def feed_for_token(token: str) -> str | None:
    row = CalendarFeed.objects.select_related("visitor").filter(token_hash=_hash(token)).first()
    if row is None:
        return None
    events = request_events(row.visitor) + recheck_events(row.visitor)
    return ics.calendar("My AI opt-outs", events, now=timezone.now())
