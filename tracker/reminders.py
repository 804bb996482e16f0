"""The reminder outbox: fan-out, sending, weekly digests, re-check nudges, the sweeper.

The database is the truth and the broker only a wake-up call:

- `fan_out` writes one Reminder row per (confirmed follower, policy change) in bulk,
  under a unique constraint, so running it again adds nothing.
- `send_batch` claims rows with a conditional UPDATE (pending → sending, stamped with
  the claim time), sends them over one SMTP connection and marks each one sent just
  before the message is complete (tracker.emails.send_committing).
- Weekly digests and re-check nudges are in tracker/digests.py.
- `sweep` puts back what a dead worker or a lost broker message left behind: rows
  stuck in sending go back to pending, pending rows nobody picked up are handed out
  again, and published changes that never got their rows are fanned out.

Only news is sent: a change dated more than REMINDER_NEWS_DAYS before it was
published (the history loaded with a new platform's content file) emails nobody.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import batched

from django.conf import settings
from django.core.mail import mailers
from django.db import connection, transaction
from django.db.models import Exists, F, Min, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone

from guides.models import Guide, PolicyChange
from tracker import emails
from tracker.emails import LostClaim
from tracker.models import Reminder, Subscription
from tracker.progress import Status, states_for

log = logging.getLogger(__name__)

PENDING, SENDING, SENT = Reminder.Status.PENDING, Reminder.Status.SENDING, Reminder.Status.SENT
FAILED, SKIPPED = Reminder.Status.FAILED, Reminder.Status.SKIPPED
IMMEDIATE, WEEKLY = Subscription.Frequency.IMMEDIATE, Subscription.Frequency.WEEKLY
# Connection-level trouble: the server is down or went away. Not the address's fault.
CONNECTION_ERRORS = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)


def chunks(ids: list[int], size: int | None = None) -> list[list[int]]:
    size = size or settings.REMINDER_CHUNK_SIZE
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def is_news(change: PolicyChange) -> bool:
    if change.published_at is None:
        return False
    oldest = change.published_at.date() - dt.timedelta(days=settings.REMINDER_NEWS_DAYS)
    return change.date >= oldest


def followers(change: PolicyChange):
    """Subscriptions that were confirmed and following the platform when it was published."""
    return Subscription.objects.filter(
        platforms=change.platform_id,
        confirmed_at__lte=change.published_at,
        unsubscribed_at__isnull=True,
        failing_since__isnull=True,
    )


def fan_out(change_id: int) -> Iterator[tuple[int, ...]]:
    """Write the change's reminder rows; return, lazily, chunks of the ids to send now.

    Rows are written by one INSERT ... SELECT in the database and the ids are streamed
    back, so memory stays flat whatever the number of followers. Weekly subscribers'
    rows stay pending for their digest.
    """
    change = PolicyChange.objects.filter(pk=change_id, published_at__isnull=False).first()
    if change is None or not is_news(change):
        return iter(())
    _insert_rows(change)
    ids = (
        Reminder.objects.filter(change=change, status=PENDING, subscription__frequency=IMMEDIATE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return batched(ids.iterator(chunk_size=2000), settings.REMINDER_CHUNK_SIZE)


def _insert_rows(change: PolicyChange) -> None:
    """One row per follower; the unique constraint makes a rerun add nothing."""
    select, params = followers(change).annotate(sid=F("pk")).values("sid").query.sql_with_params()
    table = connection.ops.quote_name(Reminder._meta.db_table)
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT. Only the
    # table name and the ORM's own SQL are interpolated; every value is a parameter.
    columns = "subscription_id, change_id, status, attempts, created_at, last_error"
    rows = f"SELECT f.sid, %s, %s, 0, %s, '' FROM ({select}) AS f WHERE true"  # noqa: S608
    conflict = "ON CONFLICT (subscription_id, change_id) DO NOTHING"
    sql = f"INSERT INTO {table} ({columns}) {rows} {conflict}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [change.pk, PENDING, timezone.now(), *params])


# --- composing --------------------------------------------------------------------------


class Composer:
    """Builds reminder contents, caching each change's guides across a batch."""

    def __init__(self) -> None:
        self._guides: dict[int, list[Guide]] = {}

    def guides_for(self, change: PolicyChange) -> list[Guide]:
        if change.pk not in self._guides:
            guides = list(change.affects.filter(active=True).select_related("platform"))
            if not guides:  # a platform-wide change: every route is worth a look
                guides = list(
                    Guide.objects.filter(platform_id=change.platform_id, active=True)
                    .select_related("platform")
                    .order_by("position")
                )
            self._guides[change.pk] = guides
        return self._guides[change.pk]

    def item(self, sub: Subscription, change: PolicyChange) -> dict:
        guides = self.guides_for(change)
        states = {}
        if sub.visitor_id:
            v = sub.visitor
            states = states_for(v, guides, region=v.region or None, account_type=v.account_type)
        rows = []
        for guide in guides:
            state = states.get(guide.pk)
            rows.append(
                {
                    "guide": guide,
                    "url": emails.absolute(guide.get_absolute_url()),
                    "status": state.status.label if state else "Not tracked",
                    "percent": state.percent if state else None,
                    "act": state is None or state.status in (Status.DONE, Status.NEEDS_RECHECK),
                }
            )
        return {"change": change, "platform": change.platform, "guides": rows}


# --- claiming and marking ---------------------------------------------------------------


def claim_rows(query, now: dt.datetime) -> list[Reminder]:
    """pending → sending for the rows of `query`; returns the rows this call claimed."""
    ids = list(query.filter(status=PENDING).values_list("pk", flat=True))
    Reminder.objects.filter(pk__in=ids, status=PENDING).update(status=SENDING, claimed_at=now)
    return list(
        Reminder.objects.filter(pk__in=ids, status=SENDING, claimed_at=now)
        .select_related("subscription__visitor", "change__platform")
        .order_by("pk")
    )


def commit_sent(ids: list[int], claim: dt.datetime) -> bool:
    """All of `ids` sending → sent under our claim, or none (the claim was lost)."""
    if len(ids) == 1:  # one UPDATE is atomic by itself
        return bool(
            Reminder.objects.filter(pk=ids[0], status=SENDING, claimed_at=claim).update(
                status=SENT, sent_at=timezone.now()
            )
        )
    with transaction.atomic():
        n = Reminder.objects.filter(pk__in=ids, status=SENDING, claimed_at=claim).update(
            status=SENT, sent_at=timezone.now()
        )
        if n != len(ids):
            transaction.set_rollback(True)
            return False
    return True


def settle(ids: list[int], claim: dt.datetime, status: str, error: str = "", tried=False):
    """Put our claimed rows (sending, or sent by a commit the server then refused) to `status`."""
    updates = {"status": status, "last_error": error[:300]}
    if status == PENDING:
        updates["claimed_at"] = timezone.now()  # "last touched": the sweeper waits from here
        updates["sent_at"] = None
    if tried:
        updates["attempts"] = F("attempts") + 1
    Reminder.objects.filter(pk__in=ids, claimed_at=claim, status__in=[SENDING, SENT]).update(
        **updates
    )


def _smtp_code(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return min(code for code, _ in exc.recipients.values())
    return getattr(exc, "smtp_code", None)


def split_wanted(rows: Iterable[Reminder]) -> tuple[list[Reminder], list[int]]:
    """Split rows into those still wanted and those to skip (left, or platform unfollowed)."""
    rows = list(rows)
    follows = set(
        Subscription.platforms.through.objects.filter(
            subscription_id__in={r.subscription_id for r in rows}
        ).values_list("subscription_id", "platform_id")
    )
    keep, skip = [], []
    for r in rows:
        ok = r.subscription.active and (r.subscription_id, r.change.platform_id) in follows
        (keep if ok else skip).append(r)
    return keep, [r.pk for r in skip]


@dataclass
class Outcome:
    sent: int = 0
    retry: list[int] = field(default_factory=list)  # ids to try again later


def _refused(rows: list[Reminder], claim: dt.datetime, exc: Exception, outcome: Outcome) -> None:
    """The server refused a message: 4xx retries later; 5xx too, until it fails the address."""
    ids = [r.pk for r in rows]
    code = _smtp_code(exc) or 0
    attempts = max(r.attempts for r in rows) + 1
    if code >= 500 and attempts >= settings.REMINDER_MAX_ATTEMPTS:
        settle(ids, claim, FAILED, str(exc), tried=True)
        sub_id = rows[0].subscription_id
        Subscription.objects.filter(pk=sub_id, failing_since__isnull=True).update(
            failing_since=timezone.now()
        )
        log.warning("subscription %s marked failing after %s tries: %s", sub_id, attempts, code)
    else:
        settle(ids, claim, PENDING, str(exc), tried=True)
        outcome.retry.extend(ids)


def deliver(backend, message, rows: list[Reminder], claim, outcome: Outcome) -> bool:
    """Send one message for `rows`; False when the connection is gone (caller stops)."""
    ids = [r.pk for r in rows]
    try:
        if getattr(backend, "connection", False) is None:  # SMTP, dropped by a LostClaim
            backend.open()
        emails.send_committing(backend, message, lambda: commit_sent(ids, claim))
    except LostClaim:
        log.info("reminders %s were taken back by the sweeper; not sent", ids)
        return True
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as exc:
        _refused(rows, claim, exc, outcome)
        return True
    except CONNECTION_ERRORS as exc:
        settle(ids, claim, PENDING, f"connection: {exc}")
        outcome.retry.extend(ids)
        return False
    outcome.sent += 1
    return True


def send_batch(reminder_ids: list[int]) -> Outcome:
    """Claim the pending rows among `reminder_ids`, email each, mark each sent."""
    outcome = Outcome()
    claim = timezone.now()
    rows = claim_rows(Reminder.objects.filter(pk__in=reminder_ids), claim)
    if not rows:
        return outcome
    rows, skip = split_wanted(rows)
    settle(skip, claim, SKIPPED)
    weekly = [r.pk for r in rows if r.subscription.frequency == WEEKLY]
    if weekly:  # switched to the digest since: it will take them
        Reminder.objects.filter(pk__in=weekly, claimed_at=claim).update(
            status=PENDING, claimed_at=None
        )
    rows = [r for r in rows if r.subscription.frequency == IMMEDIATE]
    if not rows:
        return outcome
    composer = Composer()
    try:
        backend = mailers.default
        backend.open()
    except CONNECTION_ERRORS as exc:
        ids = [r.pk for r in rows]
        settle(ids, claim, PENDING, f"connection: {exc}")
        outcome.retry.extend(ids)
        return outcome
    try:
        for i, row in enumerate(rows):
            item = composer.item(row.subscription, row.change)
            message = emails.policy_change(row.subscription, item, f"reminder-{row.pk}")
            if not deliver(backend, message, [row], claim, outcome):
                rest = [r.pk for r in rows[i + 1 :]]
                settle(rest, claim, PENDING, "connection lost")
                outcome.retry.extend(rest)
                break
    finally:
        close_quietly(backend)
    return outcome


def close_quietly(backend) -> None:
    try:
        backend.close()
    except (*CONNECTION_ERRORS, smtplib.SMTPException):
        log.info("closing the SMTP connection failed; it is gone anyway")


# --- the sweeper --------------------------------------------------------------------------


@dataclass
class Sweep:
    changes: list[int] = field(default_factory=list)  # to fan out again
    chunks: list[list[int]] = field(default_factory=list)  # to send_batch
    digests: list[int] = field(default_factory=list)  # subscriptions to send_digest


def sweep(stuck_after: dt.timedelta | None = None) -> Sweep:
    """Find what the broker or a dead worker lost; the caller enqueues the result.

    Rows claimed longer than `stuck_after` ago go back to pending: a slow worker
    that still holds them finds its claim gone and does not send (LostClaim).
    """
    if stuck_after is None:
        stuck_after = dt.timedelta(seconds=settings.REMINDER_STUCK_AFTER)
    now = timezone.now()
    cutoff = now - stuck_after
    result = Sweep()

    has_rows = Reminder.objects.filter(change=OuterRef("pk"))
    recent = PolicyChange.objects.filter(
        published_at__gte=now - dt.timedelta(days=settings.REMINDER_NEWS_DAYS),
        published_at__lte=cutoff,
    ).filter(~Exists(has_rows))
    result.changes = [c.pk for c in recent if is_news(c)]

    stuck = Reminder.objects.filter(status=SENDING, claimed_at__lt=cutoff)
    result.digests = sorted(
        set(stuck.filter(subscription__frequency=WEEKLY).values_list("subscription_id", flat=True))
    )
    n = stuck.update(status=PENDING, claimed_at=None)
    if n:
        log.warning("sweeper: %s reminders were stuck in sending; back to pending", n)

    ids = (
        Reminder.objects.filter(status=PENDING, subscription__frequency=IMMEDIATE)
        .annotate(touched=Coalesce("claimed_at", "created_at"))
        .filter(touched__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    result.chunks = chunks(list(ids))

    # A weekly digest whose oldest row waited more than a week and a day was lost.
    overdue = (
        Reminder.objects.filter(status=PENDING, subscription__frequency=WEEKLY)
        .values("subscription_id")
        .annotate(oldest=Min("created_at"))
        .filter(oldest__lt=now - dt.timedelta(days=8))
        .values_list("subscription_id", flat=True)
    )
    result.digests = sorted(set(result.digests) | set(overdue))
    return result
