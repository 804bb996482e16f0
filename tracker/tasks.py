"""Celery tasks for the outbox. Each takes ids, re-reads its rows, and is safe to run twice.

The work itself lives in tracker/reminders.py, digests.py, nudges.py and outbox.py;
these wrappers only enqueue, retry and log. `enqueue` never lets a broker outage
break the caller: the rows in the database are the truth. Every worker, when it
starts, runs `tracker.recover_claims` (what dead workers held goes out again), and
beat's sweeper (every minute) hands out whatever a lost message would have.
"""

from __future__ import annotations

import logging

import redis.exceptions
from celery import shared_task
from celery.exceptions import MaxRetriesExceededError
from celery.signals import worker_ready
from django.conf import settings
from kombu.exceptions import OperationalError

from tracker import digests, nudges, outbox, reminders, subscriptions

log = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, redis.exceptions.RedisError, OSError)
MAX_RETRIES = 8


def enqueue(task, *args) -> bool:
    """Send a task to the broker; on a broker outage log it and return False."""
    try:
        task.apply_async(
            args,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )
    except BROKER_ERRORS as exc:
        log.warning("broker unavailable, %s%s left to the sweeper: %s", task.name, args, exc)
        return False
    return True


def on_policy_change_published(sender, change_id: int, **kwargs) -> None:
    """Receiver of guides.signals.policy_change_published (connected in apps.py)."""
    enqueue(fan_out, change_id)


def retry_delay(retries: int) -> int:
    return min(settings.REMINDER_RETRY_DELAY * 2**retries, settings.REMINDER_STUCK_AFTER)


def _retry(task, ids: list, what: str, args: list | None = None) -> None:
    if not ids:
        return
    if task.request.is_eager:  # no broker to wait in: the sweeper retries them
        log.warning("%s: %s to try again later", what, len(ids))
        return
    try:
        raise task.retry(
            args=args or [ids], countdown=retry_delay(task.request.retries), max_retries=MAX_RETRIES
        )
    except MaxRetriesExceededError:
        log.warning("%s: giving up retrying %s; the sweeper has them", what, len(ids))


def enqueue_found(found: outbox.Found) -> None:
    """Wake the tasks for what recovery or the sweeper put back."""
    for change_id in found.changes:
        enqueue(fan_out, change_id)
    for chunk in reminders.chunks(found.reminders):
        enqueue(send_reminders, chunk)
    for sub_id in found.digests:
        enqueue(send_digest, sub_id)
    for chunk in reminders.chunks(found.emails):
        enqueue(send_email, chunk)


@shared_task(name="tracker.fan_out")
def fan_out(change_id: int) -> None:
    """Write a Reminder row for each confirmed follower of the change's platform, then
    wake the senders in chunks.

    Invariant: at most one row per (subscription, change), by the unique constraint
    and an insert that ignores conflicts; so a second run adds nothing, and the
    chunks it enqueues again are harmless (sending claims rows first). The rows are
    committed before the first chunk is enqueued.
    """
    for chunk in reminders.fan_out(change_id):
        enqueue(send_reminders, list(chunk))


@shared_task(name="tracker.send_reminders", bind=True)
def send_reminders(self, reminder_ids: list[int]) -> None:
    """Send the pending reminders among `reminder_ids` over one SMTP connection.

    Invariant: a row is emailed only by the run that moved it pending → sending, and
    is marked sent under that claim once the server accepted it (a crash in between
    resends it with the same Message-ID); rows that are not pending (sent, skipped,
    claimed elsewhere) are left alone. 5xx fails a row for good; transient trouble
    puts rows back to pending and retries them with backoff.
    """
    outcome = reminders.send_batch(reminder_ids)
    _retry(self, outcome.retry, "send_reminders")


@shared_task(name="tracker.send_digest", bind=True)
def send_digest(self, subscription_id: int) -> None:
    """One email with all pending reminders of a weekly subscription.

    Invariant: the digest covers exactly the rows it claimed, and marks them sent
    all together or not at all; a run with nothing pending sends nothing.
    """
    outcome = digests.send_digest(subscription_id)
    _retry(self, outcome.retry, "send_digest", args=[subscription_id])


@shared_task(name="tracker.send_weekly_digests")
def send_weekly_digests() -> None:
    """Beat, weekly. Invariant: enqueues a digest per weekly subscription with pending
    rows; a digest with nothing left to claim sends nothing, so a rerun is harmless."""
    for sub_id in digests.digests_due():
        enqueue(send_digest, sub_id)


@shared_task(name="tracker.send_recheck_nudge")
def send_recheck_nudge(subscription_id: int) -> None:
    """Nudge one subscriber about finished guides whose setting tends to revert.

    Invariant: a guide's re-check date is nudged once: moving last_nudge_at forward
    with a conditional UPDATE decides it, in the same transaction as the outbox row
    that carries the email; that row is then sent at least once (send_email retries).
    """
    outcome = nudges.send_recheck_nudge(subscription_id)
    if outcome.retry:
        enqueue_later(send_email, outcome.retry)


@shared_task(name="tracker.send_email", bind=True)
def send_email(self, email_ids: list[int]) -> None:
    """Send the pending OutboxEmail rows among `email_ids` (tracker.outbox.put).

    Invariant: as send_reminders: claimed before sending, marked sent after the
    server's 250, failed for good on 5xx, retried with backoff otherwise.
    """
    outcome = outbox.send_emails(email_ids)
    _retry(self, outcome.retry, "send_email")


def enqueue_later(task, ids: list[int]) -> None:
    try:
        task.apply_async([ids], countdown=settings.REMINDER_RETRY_DELAY)
    except BROKER_ERRORS as exc:
        log.warning("broker unavailable, %s%s left to the sweeper: %s", task.name, ids, exc)


@shared_task(name="tracker.send_recheck_nudges")
def send_recheck_nudges() -> None:
    """Beat, daily. Invariant: only enqueues; each subscription's task decides and claims."""
    for sub_id in nudges.nudge_candidates():
        enqueue(send_recheck_nudge, sub_id)


@shared_task(name="tracker.sweep_reminders")
def sweep_reminders() -> None:
    """Beat, every minute: hand out again what a dead worker or lost message left.

    Invariant: only changes the database state from sending back to pending, for
    rows whose claimant is gone or that were claimed longer than
    REMINDER_STUCK_AFTER ago; everything else it does is enqueueing tasks that
    claim before they act.
    """
    enqueue_found(reminders.sweep())


@shared_task(name="tracker.recover_claims")
def recover_claims(look_again: bool = True) -> None:
    """Every worker runs this when it starts: what dead processes claimed goes out again.

    Invariant: only rows claimed by a process that is gone (this host: its pid no
    longer runs, or started after the claim; another host: its lease expired) go
    back to pending; a live worker's claims are left alone. No beat needed.
    """
    found = outbox.recover()
    enqueue_found(found)
    if found.foreign_alive and look_again:  # a lease that may belong to the dead
        try:
            recover_claims.apply_async([False], countdown=outbox.LEASE_SECONDS + 5)
        except BROKER_ERRORS as exc:
            log.warning("recover_claims not rescheduled: %s", exc)


@worker_ready.connect(dispatch_uid="tracker.recover_claims")
def _recover_on_start(sender=None, **kwargs) -> None:
    enqueue(recover_claims)


@shared_task(name="tracker.purge_stale_links")
def purge_stale_links() -> None:
    """Beat, daily. Invariant: deletes only spent/expired confirmation links,
    subscriptions nobody confirmed within a week, and outbox emails settled a month ago."""
    subscriptions.purge_stale_links()
    outbox.purge_sent()


@shared_task(name="tracker.purge_stale_visitors")
def purge_stale_visitors() -> None:
    """Beat, daily. Invariant: deletes only anonymous visitors (and their progress)
    whose cookie has expired unseen, so nobody could ever reach them again."""
    from tracker.visitors import purge_stale

    purge_stale()


@shared_task(name="tracker.notify_problem_report")
def notify_problem_report(report_id: int) -> None:
    """Email staff about a reported problem; idempotent (notified_at is the claim)."""
    from tracker.reports import notify_staff

    notify_staff(report_id)
