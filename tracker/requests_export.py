"""Requests in "Download my data": every field kept about each request, notes included.
"Delete everything" removes them with the visitor (requests, their outbox rows and the
calendar address all cascade from it)."""

from __future__ import annotations

from tracker.models import Request, Visitor


def export_requests(visitor: Visitor | None) -> list[dict]:
    if visitor is None:
        return []
    rows = Request.objects.filter(visitor=visitor).select_related("guide__platform")
    return [
        {
            "platform": r.guide.platform.slug,
            "guide": r.guide.slug,
            "route": r.route_key,
            "law": r.law,
            "recipient": r.recipient,
            "asks": r.asks,
            "sent_on": r.sent_on.isoformat(),
            "reply_due": r.reply_due.isoformat() if r.reply_due else None,
            "extended": r.extended,
            "status": r.status,
            "authority": r.authority,
            "note": r.note,
            "emails": [
                {"kind": e.kind, "status": e.status, "sent_at": e.sent_at and e.sent_at.isoformat()}
                for e in r.emails.all()
            ],
        }
        for r in rows.prefetch_related("emails")
    ]


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
