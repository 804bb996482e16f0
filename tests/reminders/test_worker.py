"""The fan-out against real services: PostgreSQL, a private Redis, real Celery workers
(subprocesses) and a local SMTP server. These tests can fail: they count emails."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.utils import timezone

from guides.signals import publish
from tests.reminders.conftest import make_change, make_followers
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


def wait_until_settled(change, rows: int, timeout: float = 90) -> None:
    """Until the change has its rows and none is pending or sending (no beat, no sweeper)."""
    deadline = time.monotonic() + timeout
    written = Reminder.objects.filter(change=change)
    unsettled = written.filter(status__in=["pending", "sending"])
    while written.count() < rows or unsettled.exists():
        assert time.monotonic() < deadline, f"{unsettled.count()} rows never settled"
        time.sleep(0.2)


def test_refusals_and_dropped_connections_lose_nobody(platform, workers, smtp_sink):
    followers = make_followers(platform, 300)
    busy = {s.email for s in followers[10::50]}  # 451 to RCPT, once
    gone = {s.email for s in followers[20::50]}  # 550 to RCPT, always
    dropped = {s.email for s in followers[30::50]}  # connection lost after the final dot
    for address in busy:
        smtp_sink.refuse_rcpt[address] = ("451 4.2.1 mailbox busy", 1)
    for address in gone:
        smtp_sink.refuse_rcpt[address] = ("550 5.1.1 no such user", None)
    smtp_sink.drop_after_dot |= dropped
    workers.start(1, smtp_port=smtp_sink.port)
    change = make_change(platform, list(platform.guides.all()))

    assert publish(change)
    wait_until_settled(change, 300)
    time.sleep(1.5)  # any late extra email would arrive now

    counts = Counter(smtp_sink.recipients)
    assert set(counts) == {s.email for s in followers} - gone, workers.logs()
    rows = {r.subscription.email: r for r in Reminder.objects.select_related("subscription")}
    for address in gone:  # failed with the reply, never retried
        assert (rows[address].status, rows[address].attempts) == ("failed", 1)
        assert rows[address].last_error == "550 5.1.1 no such user"
        assert smtp_sink.rcpt_attempts[address] == 1
    for address in busy:  # retried with backoff, then sent
        assert rows[address].status == "sent" and smtp_sink.rcpt_attempts[address] == 2
    for address in dropped:  # the server had it: a second copy, the same message
        ids = {m["Message-ID"] for m in smtp_sink.to(address)}
        assert counts[address] == 2 and ids == {rows[address].message_id}
    assert not [a for a, n in counts.items() if n > 1 and a not in dropped]


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
