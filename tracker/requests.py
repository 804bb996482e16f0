"""Requests a person sent: recording "I sent it", the reply date each law sets, status.

Reply dates (counted from the day the person sent it, taken as the day of receipt):
- GDPR and UK GDPR (Art. 12(3)): one month: the same day of the next month, or that
  month's last day when the day does not exist (31 Jan -> 28/29 Feb). The controller
  may extend by two further months when it tells the person so within the first month.
- CCPA: 45 calendar days to answer a request to know or delete (Cal. Civ. Code
  § 1798.130(a)(2), extendable once by 45 days with notice); 15 business days to act
  on an opt-out of sale/sharing (Cal. Code Regs. tit. 11, § 7026(f)). Business days
  are Monday to Friday; public holidays are not counted out.
- `none` (an admin, or a platform with no legal duty): no date.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import F
from django.http import Http404
from django.utils import timezone

from guides.models import Guide
from guides.regions import region_label
from optout_site import clock
from tracker.models import CalendarFeed, Request, Visitor

GDPR_LAWS = {"gdpr-art21", "uk-gdpr-art21"}
CCPA_OPT_OUT = "opt-out"
CCPA_KNOW_DELETE = "know-delete"
CCPA_DAYS = 45
CCPA_OPT_OUT_BUSINESS_DAYS = 15
Status = Request.Status
OPEN = {Status.AWAITING, Status.OVERDUE}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day when it does not exist."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_business_days(day: dt.date, n: int) -> dt.date:
    """The n-th Monday-to-Friday day after `day`."""
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def reply_due(
    law: str, sent_on: dt.date, *, ccpa: str = CCPA_KNOW_DELETE, extended: bool = False
) -> dt.date | None:
    if law in GDPR_LAWS:
        return add_months(sent_on, 3 if extended else 1)
    if law == "ccpa":
        if ccpa == CCPA_OPT_OUT:
            return add_business_days(sent_on, CCPA_OPT_OUT_BUSINESS_DAYS)
        return sent_on + dt.timedelta(days=CCPA_DAYS * (2 if extended else 1))
    return None


def can_extend(req: Request) -> bool:
    return (
        not req.extended
        and req.status in OPEN
        and req.reply_due is not None
        and (req.law in GDPR_LAWS or (req.law == "ccpa" and req.asks != CCPA_OPT_OUT_LABEL))
    )


CCPA_OPT_OUT_LABEL = "Opt out of sale/sharing"
CCPA_KNOW_DELETE_LABEL = "Know and delete"


def route_for(guide: Guide, key: str) -> dict:
    """The guide's request route with this key, or 404."""
    for route in guide.requests or []:
        if route["key"] == key:
            return route
    raise Http404("no such request route")


@dataclass
class RouteChoice:
    route: dict
    applies: bool | None  # None: the person has not chosen a region
    regions: str


def routes_for(guide: Guide, region: str | None) -> list[RouteChoice]:
    """The guide's letters, each marked as for the person's region or not."""
    out = []
    for route in guide.requests or []:
        codes = route["regions"]
        applies = None if not region else ("all" in codes or region in codes)
        out.append(RouteChoice(route, applies, ", ".join(region_label(c) for c in codes)))
    return out


def recipient_label(route: dict) -> str:
    r = route["recipient"]
    return r.get("email") or r.get("form") or r.get("role") or ""


def record(
    visitor: Visitor,
    guide: Guide,
    route: dict,
    *,
    sent_on: dt.date,
    note: str = "",
    authority: str = "",
    ccpa: str = CCPA_KNOW_DELETE,
) -> Request:
    asks = route["asks"]
    if route["law"] == "ccpa":
        asks = CCPA_OPT_OUT_LABEL if ccpa == CCPA_OPT_OUT else CCPA_KNOW_DELETE_LABEL
    return Request.objects.create(
        visitor=visitor,
        guide=guide,
        route_key=route["key"],
        law=route["law"],
        recipient=recipient_label(route)[:500],
        asks=asks[:200],
        sent_on=sent_on,
        reply_due=reply_due(route["law"], sent_on, ccpa=ccpa),
        authority=authority,
        note=note,
    )


def get_request_for_visitor(visitor: Visitor | None, pk: int) -> Request:
    """The owner check: someone else's request (or none at all) is a 404."""
    if visitor is None:
        raise Http404("no such request")
    req = Request.objects.select_related("guide__platform").filter(pk=pk, visitor=visitor).first()
    if req is None:
        raise Http404("no such request")
    return req


def days_left(req: Request, today: dt.date | None = None) -> int | None:
    if req.reply_due is None:
        return None
    return (req.reply_due - (today or clock.today())).days


def shown_status(req: Request, today: dt.date | None = None) -> str:
    """The status to show: an open request past its date reads as overdue at once,
    even before the daily task has recorded it."""
    left = days_left(req, today)
    if req.status == Status.AWAITING and left is not None and left < 0:
        return Status.OVERDUE
    return req.status


def set_status(req: Request, status: str) -> None:
    """The person's own update: answered, refused, escalated, or "they extended it"."""
    fields = {"status": status, "updated_at": timezone.now(), "sequence": F("sequence") + 1}
    if status == "extended":
        ccpa = CCPA_OPT_OUT if req.asks == CCPA_OPT_OUT_LABEL else CCPA_KNOW_DELETE
        fields.update(
            status=Status.AWAITING,
            extended=True,
            reply_due=reply_due(req.law, req.sent_on, ccpa=ccpa, extended=True),
        )
    Request.objects.filter(pk=req.pk).update(**fields)


def sent_by_guide(visitor: Visitor | None, guide_ids: list[int]) -> dict[int, Request]:
    """The latest request per guide, in one query (for statuses and the dashboard)."""
    if visitor is None or not guide_ids:
        return {}
    latest: dict[int, Request] = {}
    for req in Request.objects.filter(visitor=visitor, guide_id__in=guide_ids).order_by(
        "sent_on", "id"
    ):
        latest[req.guide_id] = req
    return latest


def move_requests(source: Visitor, target: Visitor) -> None:
    """Signing in: the anonymous visitor's requests join the account's; its calendar
    address too, unless the account already has one (then the anonymous one goes)."""
    Request.objects.filter(visitor=source).update(visitor=target)
    if not CalendarFeed.objects.filter(visitor=target).exists():
        CalendarFeed.objects.filter(visitor=source).update(visitor=target)
