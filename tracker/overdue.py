"""Overdue requests: one email per request, with a follow-up letter and where to
complain, through the one outbox engine (tracker/outbox.py).

- `mark_overdue(today)` moves open requests past their reply date to overdue.
- `queue(today)` records a RequestEmail for each overdue request whose owner has a
  confirmed email (their account's, or a confirmed, active subscription), under a
  unique (request, kind) constraint, and puts its message in the outbox with
  `outbox.put("request-overdue:<id>", ...)`: a rerun adds nothing and sends nothing.
- `send(email_id)` sends that outbox row: claimed first, marked sent only after the
  server's 250, retried on 4xx, failed for good on 5xx, recovered after a dead
  worker, like every other email of the outbox.

Drafts are made from stored fields only (platform, guide, what was asked, law,
dates, recipient): nothing the person typed into the letter was kept.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from optout_site import clock
from tracker import authorities, emails, outbox
from tracker.models import OutboxEmail, Request, RequestEmail, Subscription

OVERDUE = RequestEmail.Kind.OVERDUE


def mark_overdue(today: dt.date | None = None) -> int:
    today = today or clock.today()
    return Request.objects.filter(
        status=Request.Status.AWAITING, reply_due__isnull=False, reply_due__lt=today
    ).update(status=Request.Status.OVERDUE, sequence=F("sequence") + 1, updated_at=timezone.now())


def _confirmed_subscription(visitor_id):
    return Subscription.objects.active().filter(visitor_id=visitor_id)


def contact_for(req: Request) -> str | None:
    """The confirmed address to write to: the account's, or a confirmed subscription's."""
    user = req.visitor.user
    if user is not None and user.is_active:
        return user.email
    sub = _confirmed_subscription(req.visitor_id).order_by("confirmed_at").first()
    return sub.email if sub else None


def _put(req: Request) -> None:
    to = contact_for(req)
    if to is None:
        return
    try:
        with transaction.atomic():
            record = RequestEmail.objects.create(request=req, kind=OVERDUE)
            record.email = outbox.put(
                f"request-overdue:{req.pk}", overdue_message(req, to), wake=False
            )
            record.save(update_fields=["email"])
    except IntegrityError:  # another run recorded it first
        return


def queue(today: dt.date | None = None) -> list[int]:
    """Mark overdue, put the missing emails in the outbox, return the outbox ids to send."""
    mark_overdue(today)
    reachable = Q(visitor__user__isnull=False, visitor__user__is_active=True) | Q(
        Exists(_confirmed_subscription(OuterRef("visitor_id")))
    )
    wanted = (
        Request.objects.filter(status=Request.Status.OVERDUE)
        .filter(reachable)
        .exclude(Exists(RequestEmail.objects.filter(request=OuterRef("pk"), kind=OVERDUE)))
        .select_related("guide__platform", "visitor__user")
    )
    for req in wanted:
        _put(req)
    return list(
        OutboxEmail.objects.filter(
            status=OutboxEmail.Status.PENDING, request_emails__isnull=False
        ).values_list("pk", flat=True)
    )


def send(email_id: int) -> bool:
    """Send one overdue email if this call claims it; True when it was sent."""
    return outbox.send_emails([email_id]).sent == 1


# --- what the email says ------------------------------------------------------------------


LAW_NAMES = {
    "gdpr-art21": "Article 21(1) GDPR",
    "uk-gdpr-art21": "Article 21(1) UK GDPR",
    "ccpa": "the California Consumer Privacy Act",
    "none": "",
}


def follow_up(req: Request) -> str:
    platform = req.guide.platform.name
    law = LAW_NAMES.get(req.law, "")
    due = f"{req.reply_due:%d %B %Y}" if req.reply_due else ""
    return (
        f"Dear {platform} privacy team,\n\n"
        f"On {req.sent_on:%d %B %Y} I sent you a request under {law}: {req.asks}. "
        f"Your answer was due by {due} and I have not received it.\n\n"
        "Please answer without further delay. If I do not hear from you, I will lodge a "
        "complaint with the supervisory authority.\n\nKind regards,\n[Your name]"
    )


def complaint(req: Request) -> str:
    platform = req.guide.platform.name
    law = LAW_NAMES.get(req.law, "")
    return (
        "Complaint\n\n"
        f"On {req.sent_on:%d %B %Y} I sent {platform} ({req.recipient}) a request under "
        f"{law}: {req.asks}. The answer was due by {req.reply_due:%d %B %Y}. I have "
        "received no answer (or: I received the attached refusal).\n\n"
        "I ask you to look into this and to order the company to answer my request.\n\n"
        "Attached: a copy of my request and the date I sent it.\n\n[Your name]\n"
        "[Your address or account email]"
    )


def overdue_message(req: Request, to: str):
    ctx = {
        "req": req,
        "platform": req.guide.platform,
        "guide_url": emails.absolute(req.guide.get_absolute_url()),
        "dashboard_url": emails.absolute("/me/"),
        "follow_up": follow_up(req),
        "complaint": complaint(req),
        "authorities": authorities.complaint_routes(req.authority, req.law),
    }
    # The outbox gives it a Message-ID of its own, fixed when it is put.
    headers = {"Auto-Submitted": "auto-generated"}
    return emails.make_message("request-overdue", to, ctx, headers=headers)
