"""Policy-change reminders: who gets one (fan-out) and sending a batch of them.

The database is the truth and the broker only a wake-up call:

- `fan_out` writes one Reminder row per (confirmed follower, policy change) in bulk,
  under a unique constraint, so running it again adds nothing. Each row gets its
  Message-ID there, in the same INSERT.
- `send_batch` claims rows, drops those no longer wanted, and hands the rest to the
  outbox engine (tracker/outbox.py: sent only once the server accepted it).
- `lost_changes` and `overdue_digests` are this module's part of beat's sweeper.

Weekly digests are tracker/digests.py, re-check nudges tracker/nudges.py, what the
emails say tracker/emails.py. Only news is sent: a change dated more than
REMINDER_NEWS_DAYS before it was published (the history loaded with a new
platform's content file) emails nobody.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from itertools import batched

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, Min, OuterRef
from django.utils import timezone

from guides.models import PolicyChange
from tracker import emails, outbox
from tracker.models import Reminder, Subscription

log = logging.getLogger(__name__)

PENDING, SENDING, SENT = Reminder.Status.PENDING, Reminder.Status.SENDING, Reminder.Status.SENT
FAILED, SKIPPED = Reminder.Status.FAILED, Reminder.Status.SKIPPED
IMMEDIATE, WEEKLY = Subscription.Frequency.IMMEDIATE, Subscription.Frequency.WEEKLY


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
    msgid, msgid_params = outbox.message_id_sql()
    columns = (
        "subscription_id, change_id, status, attempts, created_at, last_error, claimed_by,"
        " message_id"
    )
    rows = f"SELECT f.sid, %s, %s, 0, %s, '', '', {msgid} FROM ({select}) AS f WHERE true"  # noqa: S608
    conflict = "ON CONFLICT (subscription_id, change_id) DO NOTHING"
    sql = f"INSERT INTO {table} ({columns}) {rows} {conflict}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [change.pk, PENDING, timezone.now(), *msgid_params, *params])


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


def claim_wanted(query) -> tuple[outbox.Claim, list[Reminder]]:
    """Claim the pending rows of `query`; those no longer wanted are skipped at once."""
    me, rows = outbox.claim(query.select_related("subscription__visitor", "change__platform"))
    rows, skip = split_wanted(rows)
    outbox.settle(Reminder, skip, me, SKIPPED)
    return me, rows


def mark_failing(ids: list[int]) -> None:
    """An address whose server refused REMINDER_MAX_ATTEMPTS of its reminders for good
    gets no more email until it subscribes and confirms again."""
    subs = set(Reminder.objects.filter(pk__in=ids).values_list("subscription_id", flat=True))
    for sub_id in subs:
        refused = Reminder.objects.filter(subscription_id=sub_id, status=FAILED).count()
        if refused >= settings.REMINDER_MAX_ATTEMPTS:
            Subscription.objects.filter(pk=sub_id, failing_since__isnull=True).update(
                failing_since=timezone.now()
            )
            log.warning("subscription %s marked failing after %s refusals", sub_id, refused)


def send_batch(reminder_ids: list[int]) -> outbox.Outcome:
    """Claim the pending rows among `reminder_ids`, email each, mark each sent."""
    me, rows = claim_wanted(Reminder.objects.filter(pk__in=reminder_ids))
    weekly = [r.pk for r in rows if r.subscription.frequency == WEEKLY]
    if weekly:  # switched to the digest since: it will take them
        Reminder.objects.filter(pk__in=weekly, **me.match).update(
            status=PENDING, claimed_by="", claimed_at=None
        )
    rows = [r for r in rows if r.subscription.frequency == IMMEDIATE]
    composer = emails.Composer()

    def compose(row: Reminder):
        item = composer.item(row.subscription, row.change)
        return emails.policy_change(row.subscription, item, row.message_id)

    deliveries = [outbox.Delivery([r.pk], lambda r=r: compose(r)) for r in rows]
    outcome = outbox.send_claimed(Reminder, deliveries, me)
    mark_failing(outcome.failed)
    return outcome


# --- beat's sweeper: the reminders' part ----------------------------------------------------


def lost_changes(cutoff: dt.datetime) -> list[int]:
    """Published changes that never got their rows (Redis was down at the time)."""
    has_rows = Reminder.objects.filter(change=OuterRef("pk"))
    recent = PolicyChange.objects.filter(
        published_at__gte=timezone.now() - dt.timedelta(days=settings.REMINDER_NEWS_DAYS),
        published_at__lte=cutoff,
    ).filter(~Exists(has_rows))
    return [c.pk for c in recent if is_news(c)]


def overdue_digests() -> list[int]:
    """Weekly subscriptions whose oldest pending row waited over a week and a day."""
    return list(
        Reminder.objects.filter(status=PENDING, subscription__frequency=WEEKLY)
        .values("subscription_id")
        .annotate(oldest=Min("created_at"))
        .filter(oldest__lt=timezone.now() - dt.timedelta(days=8))
        .values_list("subscription_id", flat=True)
    )


def sweep(stuck_after: dt.timedelta | None = None) -> outbox.Found:
    """Everything beat's sweeper hands out again; the caller enqueues the result."""
    if stuck_after is None:
        stuck_after = dt.timedelta(seconds=settings.REMINDER_STUCK_AFTER)
    found = outbox.sweep(stuck_after)
    found.changes = lost_changes(timezone.now() - stuck_after)
    found.digests = sorted(set(found.digests) | set(overdue_digests()))
    return found
