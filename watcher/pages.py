"""The watcher's part of a guide page: "last checked / last changed" for the official
pages the guide cites, and a note when a quote of its evidence left one of them.

Registered as a `guides.hooks.guide_page` hook (watcher/apps.py) that fills the guide
page's `watch_status` and `watch_notice` slots. One query; imports Django and the
models only, so a guide page request never loads the fetcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest

from guides.models import Guide
from watcher.models import Reverification, WatchedPage


def norm_url(url: str) -> str:
    """A URL as sources and watched pages are compared: no fragment, no trailing slash."""
    return str(url).split("#")[0].rstrip("/")


def citing_guides(page: WatchedPage, guides: list[Guide] | None = None) -> list[Guide]:
    """The active guides of the page's platform that name the page among their sources."""
    if guides is None:
        guides = list(Guide.objects.filter(platform_id=page.platform_id, active=True))
    url = norm_url(page.url)
    return [g for g in guides if any(norm_url(s.get("url", "")) == url for s in g.sources)]


@dataclass(frozen=True)
class PageStatus:
    """What a guide page shows about one official page it relies on."""

    title: str
    url: str
    last_checked_at: datetime | None
    last_changed_at: datetime | None
    watchable: bool
    changed_after: date | None  # an open re-verification: the quote was read on this day
    needs_reverification: bool = False


def status_for_guide(guide: Guide) -> list[PageStatus]:
    """ "Last checked / last changed" for the watched pages a guide cites; one query."""
    sources = {norm_url(s.get("url", "")) for s in guide.sources}
    open_items = Reverification.objects.filter(
        page=OuterRef("pk"), guide_id=guide.pk, status=Reverification.Status.OPEN
    )
    pages = (
        WatchedPage.objects.filter(platform_id=guide.platform_id, active=True)
        .only("title", "url", "last_checked_at", "last_changed_at", "unwatchable_since")
        .annotate(
            open_item=Subquery(open_items.order_by("pk").values("pk")[:1]),
            checked_on=Subquery(open_items.order_by("checked_on").values("checked_on")[:1]),
        )
    )
    return [
        PageStatus(
            p.title,
            p.url,
            p.last_checked_at,
            p.last_changed_at,
            not p.unwatchable_since,
            p.checked_on,
            p.open_item is not None,
        )
        for p in pages
        if norm_url(p.url) in sources
    ]


def guide_page_extras(request: HttpRequest, context: dict) -> dict:
    """Fills the guide page's `watch_status` and `watch_notice` slots (or nothing)."""
    guide = context.get("guide")
    if guide is None:
        return {}
    statuses = status_for_guide(guide)
    if not statuses:
        return {}
    flagged = [s for s in statuses if s.needs_reverification]
    slots = {"watch_status": "watcher/guide_status.html"}
    if flagged:
        slots["watch_notice"] = "watcher/guide_notice.html"
    return {"watch_pages": statuses, "watch_flagged": flagged, "slots": slots}
