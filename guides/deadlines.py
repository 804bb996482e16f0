"""Public deadlines: dated moments on a platform (training starts, a window closes).

Loaded from each content file's `deadlines:` by `load_deadlines` (called by the
loader inside the file's transaction). A deadline's `key` is stable, so calendar
events keep their UID; its `sequence` goes up whenever what a calendar shows of it
changes. Guide pages list the upcoming ones with the days left, counted from
`optout_site.clock.today()` at request time (the page cache keys on the date).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from guides import ics, schema
from guides.models import Deadline, Guide, Platform
from optout_site import clock

RECENT_DAYS = 30  # a deadline that passed this recently still shows on the guide page


def _fingerprint(item: schema.Deadline) -> str:
    shown = item.model_dump(mode="json", include={"date", "title", "kind", "source", "affects"})
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def load_deadlines(platform: Platform, items: list[schema.Deadline]) -> None:
    """Upsert the platform's deadlines; bump `sequence` only when what is shown changed."""
    existing = {d.key: d for d in platform.deadlines.all()}
    keys = []
    for item in items:
        key = item.stable_key
        keys.append(key)
        values = {
            "date": item.date,
            "title": item.title,
            "kind": item.kind.value,
            "affects": list(item.affects),
            "source": str(item.source),
            "quote": list(item.quote),
            "checked_on": item.checked_on,
            "fingerprint": _fingerprint(item),
            "active": True,
        }
        row = existing.get(key)
        if row is None:
            Deadline.objects.create(platform=platform, key=key, **values)
            continue
        if row.fingerprint != values["fingerprint"] or not row.active:
            values["sequence"] = row.sequence + 1
            values["updated_at"] = timezone.now()
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=list(values))
    gone = platform.deadlines.exclude(key__in=keys).filter(active=True)
    for row in gone:  # a removed deadline is cancelled in calendars, not silently kept
        row.active, row.sequence, row.updated_at = False, row.sequence + 1, timezone.now()
        row.save(update_fields=["active", "sequence", "updated_at"])


@dataclass
class Upcoming:
    deadline: Deadline
    days_left: int

    @property
    def passed(self) -> bool:
        return self.days_left < 0


def upcoming_for(guide: Guide, today: dt.date | None = None) -> list[Upcoming]:
    """Deadlines of the guide's platform that affect it (or the whole platform), from
    RECENT_DAYS ago on, with the days left. One query."""
    today = today or clock.today()
    rows = Deadline.objects.filter(
        platform_id=guide.platform_id,
        active=True,
        date__gte=today - dt.timedelta(days=RECENT_DAYS),
    )
    return [
        Upcoming(d, (d.date - today).days) for d in rows if not d.affects or guide.slug in d.affects
    ]


def event(deadline: Deadline) -> ics.Event:
    host = settings.SITE_URL.split("://", 1)[-1].split("/")[0]
    url = settings.SITE_URL + reverse("guides:platform", args=[deadline.platform.slug])
    return ics.Event(
        uid=f"deadline-{deadline.platform.slug}-{deadline.key}@{host}",
        day=deadline.date,
        summary=f"{deadline.platform.name}: {deadline.title}",
        description=f"Source: {deadline.source}\nGuides: {url}",
        url=url,
        sequence=deadline.sequence,
        stamp=deadline.updated_at,
    )


def feed(platform: Platform | None = None) -> str:
    """Every active deadline (past and upcoming) as an iCalendar feed."""
    rows = Deadline.objects.filter(active=True, platform__active=True).select_related("platform")
    name = "AI opt-out deadlines"
    if platform is not None:
        rows = rows.filter(platform=platform)
        name = f"{platform.name}: AI opt-out deadlines"
    return ics.calendar(name, [event(d) for d in rows], now=timezone.now())
