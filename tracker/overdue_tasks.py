"""Celery tasks for overdue requests (the work is in tracker/overdue.py)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from tracker import overdue


@shared_task(name="tracker.find_overdue_requests")
def find_overdue_requests() -> None:
    """Beat, hourly. Invariant: marks open requests past their reply date overdue and
    writes at most one outbox row per (request, kind) by a unique constraint; then,
    after commit, wakes a sender per pending row. A rerun adds and sends nothing new."""
    ids = overdue.queue()
    from tracker.tasks import enqueue

    for row_id in ids:
        transaction.on_commit(lambda row_id=row_id: enqueue(send_overdue_email, row_id))


@shared_task(name="tracker.send_overdue_email")
def send_overdue_email(row_id: int) -> None:
    """Invariant: the email is sent only by the run that claimed its row (pending ->
    sending) and is marked sent under that claim before the message is complete."""
    overdue.send(row_id)
