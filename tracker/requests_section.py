"""The "Your requests" section of "My opt-outs": each request with its status and days
left, and the personal calendar's state. Two queries."""

from __future__ import annotations

from dataclasses import dataclass

from optout_site import clock
from tracker import calendar, requests
from tracker.models import Request, Visitor


@dataclass
class RequestRow:
    request: Request
    status: str
    status_label: str
    days_left: int | None
    can_extend: bool

    @property
    def days_late(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0

    @property
    def open(self) -> bool:
        return self.status in requests.OPEN


def requests_section(visitor: Visitor | None) -> dict:
    if visitor is None:
        return {"request_rows": [], "has_calendar": False}
    today = clock.today()
    rows = []
    labels = dict(Request.Status.choices)
    for req in Request.objects.filter(visitor=visitor).select_related("guide__platform"):
        status = requests.shown_status(req, today)
        rows.append(
            RequestRow(
                req,
                status,
                str(labels[status]),
                requests.days_left(req, today),
                requests.can_extend(req),
            )
        )
    return {"request_rows": rows, "has_calendar": calendar.has_feed(visitor)}
