"""The fan-out against real services: PostgreSQL, a private Redis, real Celery workers
(subprocesses) and a local SMTP server. These tests can fail: they count emails."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.utils import timezone

from guides.signals import publish
from tests.reminders.conftest import TrippingSink, make_change, make_followers
from tests.smtp_sink import SmtpSink, free_port
from tracker import tasks
from tracker.models import Reminder

pytestmark = pytest.mark.services


def settle(sink: SmtpSink, expected: int, timeout: float = 60) -> Counter:
    """Wait for `expected` emails, then a little longer to catch any extra one."""
    sink.wait_for(expected, timeout=timeout)
    time.sleep(1.5)
    with sink.lock:
        return Counter(sink.recipients)


def assert_exactly_once(counts: Counter, followers) -> None:
    expected = {s.email for s in followers}
    twice = [a for a, n in counts.items() if n > 1]
    assert not twice, f"{len(twice)} followers got more than one email, e.g. {twice[:3]}"
    assert set(counts) == expected, (
        f"missing {len(expected - set(counts))}, unexpected {len(set(counts) - expected)}"
    )


def sweep_now(settings) -> None:
    """What beat's sweeper does, with 'stuck' meaning 'claimed any time before now'."""
    settings.REMINDER_STUCK_AFTER = 0
    tasks.sweep_reminders()


def test_policy_change_reaches_each_of_2000_followers_exactly_once(platform, workers, smtp_sink):
    followers = make_followers(platform, 2000)
    make_followers(platform, 30, prefix="unconfirmed", confirmed=False)
    make_followers(platform, 30, prefix="gone", unsubscribed_at=timezone.now())
    workers.start(2, smtp_port=smtp_sink.port)
    change = make_change(platform, list(platform.guides.all()))

    started = time.monotonic()
    assert publish(change)
    counts = settle(smtp_sink, 2000)
    elapsed = time.monotonic() - started

    assert_exactly_once(counts, followers)
    assert Reminder.objects.filter(change=change, status=Reminder.Status.SENT).count() == 2000
    assert elapsed < 60, workers.logs()

    # Publishing again, and even running the fan-out task again, sends nothing more.
    assert not publish(change)
    tasks.enqueue(tasks.fan_out, change.pk)
    time.sleep(2)
    assert len(smtp_sink.messages) == 2000
    assert Reminder.objects.filter(change=change).count() == 2000


def test_reminder_is_sent_once_when_worker_dies(platform, workers, settings):
    followers = make_followers(platform, 2000)
    sink = TrippingSink().start()
    # SIGKILL the worker when the server has message 300 and has not yet said "250 OK":
    # a worker that sends first and marks later would send that one again.
    sink.trip_at, sink.on_trip = 300, workers.kill
    try:
        workers.start(1, smtp_port=sink.port)
        change = make_change(platform, list(platform.guides.all()))
        assert publish(change)

        sink.wait_for(300, timeout=60)
        deadline = time.monotonic() + 10
        while workers.procs and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not workers.procs, "the worker was not killed"
        time.sleep(0.5)
        assert len(sink.messages) == 300
        assert Reminder.objects.filter(change=change, status=Reminder.Status.SENDING).exists()

        sweep_now(settings)  # beat's sweeper: the dead worker's claims go back to pending
        workers.start(2, smtp_port=sink.port)
        counts = settle(sink, 2000)
    finally:
        sink.stop()

    assert_exactly_once(counts, followers)
    assert not Reminder.objects.filter(change=change).exclude(status=Reminder.Status.SENT).exists()


def test_reminders_wait_for_smtp_server_to_come_back(platform, workers, settings):
    followers = make_followers(platform, 400)
    sink = SmtpSink(port=free_port())  # not started: the server is down
    settings.MAILERS = sink.mailers
    workers.start(1, smtp_port=sink.port)
    change = make_change(platform, list(platform.guides.all()))
    assert publish(change)

    deadline = time.monotonic() + 30
    while not Reminder.objects.filter(change=change).exclude(last_error="").exists():
        assert time.monotonic() < deadline, workers.logs()
        time.sleep(0.2)
    assert not Reminder.objects.filter(change=change, status=Reminder.Status.SENT).exists()

    sink.start()
    try:
        counts = settle(sink, 400, timeout=60)
    finally:
        sink.stop()
    assert_exactly_once(counts, followers)


def test_change_published_while_redis_is_down_is_delivered_by_sweeper(
    platform, workers, broker, smtp_sink, settings
):
    followers = make_followers(platform, 200)
    broker.stop()
    change = make_change(platform, list(platform.guides.all()))

    assert publish(change)  # the broker is down: logged, not raised

    change.refresh_from_db()
    assert change.published_at is not None
    assert not Reminder.objects.filter(change=change).exists()

    broker.start()
    workers.start(1, smtp_port=smtp_sink.port)
    sweep_now(settings)
    counts = settle(smtp_sink, 200)
    assert_exactly_once(counts, followers)
