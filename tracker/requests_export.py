"""Requests in "Download my data": every field kept about each request, notes included.
"Delete everything" removes them with the visitor (requests, their outbox rows and the
calendar address all cascade from it)."""

from __future__ import annotations

from tracker.models import CalendarFeed, Request, Visitor


def export_requests(visitor: Visitor | None) -> list[dict]:
    from tracker.datafacts import REQUEST

    if visitor is None:
        return []
    rows = Request.objects.filter(visitor=visitor).select_related("guide__platform")
    return [REQUEST.dump(r) for r in rows.prefetch_related("emails")]


def export_calendar(visitor: Visitor | None) -> dict | None:
    from tracker.datafacts import CALENDAR

    feed = CalendarFeed.objects.filter(visitor=visitor).first() if visitor else None
    return CALENDAR.dump(feed) if feed else None


def write_request_rows(writer, visitor: Visitor | None) -> None:
    """CSV: one row per request, in the progress file's columns plus a note."""
    if visitor is None:
        return
    for r in Request.objects.filter(visitor=visitor).select_related("guide__platform"):
        writer.writerow(
            [
                r.guide.platform.name,
                r.guide.title,
                f"request ({r.law}): {r.status}, due {r.reply_due or '-'}; note: {r.note}",
                "sent",
                r.sent_on.isoformat(),
            ]
        )
