"""Overdue requests: one email per request, with a follow-up letter and where to
complain, through an outbox row per (request, kind).

- `mark_overdue(today)` moves open requests past their reply date to overdue.
- `queue(today)` writes a RequestEmail row for each overdue request whose owner has
  a confirmed email (their account's, or a confirmed, active subscription), under a
  unique (request, kind) constraint: a rerun adds nothing. Rows stuck in sending
  are put back to pending here too (the daily run is the sweeper).
- `send(row_id)` claims the row (pending -> sending, a conditional UPDATE), sends
  with `emails.send_committing`, which marks it sent just before the message is
  complete; so two workers, or a rerun, never send it twice.

Drafts are made from stored fields only (platform, guide, what was asked, law,
dates, recipient): nothing the person typed into the letter was kept.
When the outbox engine lands, `queue` becomes "put one email in the outbox".
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import mailers
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from optout_site import clock
from tracker import authorities, emails
from tracker.emails import LostClaim
from tracker.models import Request, RequestEmail, Subscription

log = logging.getLogger(__name__)
PENDING, SENDING = RequestEmail.Status.PENDING, RequestEmail.Status.SENDING
SENT, FAILED = RequestEmail.Status.SENT, RequestEmail.Status.FAILED
OVERDUE = RequestEmail.Kind.OVERDUE
CONNECTION_ERRORS = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


def mark_overdue(today: dt.date | None = None) -> int:
    today = today or clock.today()
    return Request.objects.filter(
        status=Request.Status.AWAITING, reply_due__isnull=False, reply_due__lt=today
    ).update(status=Request.Status.OVERDUE, sequence=F("sequence") + 1, updated_at=timezone.now())


def _confirmed_subscription(visitor_id):
    return Subscription.objects.filter(
        visitor_id=visitor_id,
        confirmed_at__isnull=False,
        unsubscribed_at__isnull=True,
        failing_since__isnull=True,
    )


def contact_for(req: Request) -> str | None:
    """The confirmed address to write to: the account's, or a confirmed subscription's."""
    user = req.visitor.user
    if user is not None and user.is_active:
        return user.email
    sub = _confirmed_subscription(req.visitor_id).order_by("confirmed_at").first()
    return sub.email if sub else None


def queue(today: dt.date | None = None) -> list[int]:
    """Mark overdue, write the missing outbox rows, return the ids of rows to send."""
    mark_overdue(today)
    stuck = timezone.now() - dt.timedelta(seconds=settings.REMINDER_STUCK_AFTER)
    RequestEmail.objects.filter(status=SENDING, claimed_at__lt=stuck).update(
        status=PENDING, claimed_at=None
    )
    reachable = Q(visitor__user__isnull=False, visitor__user__is_active=True) | Q(
        Exists(_confirmed_subscription(OuterRef("visitor_id")))
    )
    wanted = (
        Request.objects.filter(status=Request.Status.OVERDUE)
        .filter(reachable)
        .exclude(Exists(RequestEmail.objects.filter(request=OuterRef("pk"), kind=OVERDUE)))
        .values_list("pk", flat=True)
    )
    RequestEmail.objects.bulk_create(
        [RequestEmail(request_id=pk, kind=OVERDUE) for pk in wanted], ignore_conflicts=True
    )
    return list(RequestEmail.objects.filter(status=PENDING).values_list("pk", flat=True))


def _claim(row_id: int) -> RequestEmail | None:
    claim = timezone.now()
    if not RequestEmail.objects.filter(pk=row_id, status=PENDING).update(
        status=SENDING, claimed_at=claim
    ):
        return None
    return RequestEmail.objects.select_related(
        "request__guide__platform", "request__visitor__user"
    ).get(pk=row_id)


def _commit(row: RequestEmail) -> bool:
    return bool(
        RequestEmail.objects.filter(pk=row.pk, status=SENDING, claimed_at=row.claimed_at).update(
            status=SENT, sent_at=timezone.now()
        )
    )


def _settle(row: RequestEmail, status: str, error: str) -> None:
    RequestEmail.objects.filter(pk=row.pk, claimed_at=row.claimed_at).update(
        status=status, last_error=error[:300], attempts=F("attempts") + 1, sent_at=None
    )


def send(row_id: int) -> bool:
    """Send one overdue email if this call claims its row; True when it was sent."""
    row = _claim(row_id)
    if row is None:
        return False
    to = contact_for(row.request)
    if to is None:  # the address went away since: nobody to tell
        _settle(row, FAILED, "no confirmed address")
        return False
    message = overdue_message(row.request, to, f"request-{row.pk}")
    backend = mailers.default
    try:
        backend.open()
        emails.send_committing(backend, message, lambda: _commit(row))
    except LostClaim:
        return False
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
        last = row.attempts + 1 >= settings.REMINDER_MAX_ATTEMPTS
        _settle(row, FAILED if last else PENDING, str(exc))
        return False
    except CONNECTION_ERRORS as exc:
        _settle(row, PENDING, f"connection: {exc}")
        return False
    finally:
        try:
            backend.close()
        except (*CONNECTION_ERRORS, smtplib.SMTPException):
            log.info("closing the SMTP connection failed; it is gone anyway")
    return True


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


def overdue_message(req: Request, to: str, key: str):
    ctx = {
        "req": req,
        "platform": req.guide.platform,
        "guide_url": emails.absolute(req.guide.get_absolute_url()),
        "dashboard_url": emails.absolute("/me/"),
        "follow_up": follow_up(req),
        "complaint": complaint(req),
        "authorities": authorities.complaint_routes(req.authority, req.law),
    }
    headers = {
        "Auto-Submitted": "auto-generated",
        "Message-ID": f"<{key}@{emails.DNS_NAME.get_fqdn()}>",
    }
    return emails.make_message("request-overdue", to, ctx, headers=headers)
