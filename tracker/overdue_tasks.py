"""Celery tasks for overdue requests (the work is in tracker/overdue.py)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from tracker import overdue


@shared_task(name="tracker.find_overdue_requests")
def find_overdue_requests() -> None:
    """Beat, hourly. Invariant: marks open requests past their reply date overdue and
    puts at most one email per (request, kind) in the outbox (a unique constraint and
    the outbox key); then, after commit, wakes a sender per pending one. A rerun adds
    nothing, and a sender claims before it sends, so nothing is sent twice."""
    ids = overdue.queue()
    from tracker.tasks import enqueue

    for row_id in ids:
        transaction.on_commit(lambda row_id=row_id: enqueue(send_overdue_email, row_id))


@shared_task(name="tracker.send_overdue_email")
def send_overdue_email(row_id: int) -> None:
    """Invariant: as tracker.send_email: the outbox row is claimed before sending and
    marked sent only after the server's 250; a failure leaves it for the next run."""
    overdue.send(row_id)
