"""A worker that starts puts back what dead processes claimed, and only that."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.utils import timezone

from guides.models import PolicyChange
from tests.reminders.conftest import make_change, make_followers
from tracker import claimants, outbox, reminders, tasks
from tracker.models import Reminder

pytestmark = pytest.mark.django_db
HOST = socket.gethostname()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def rows(platform):
    make_followers(platform, 4)
    change = make_change(platform)
    PolicyChange.objects.filter(pk=change.pk).update(published_at=timezone.now())
    list(reminders.fan_out(change.pk))
    return list(Reminder.objects.order_by("pk"))


def hold(row: Reminder, by: str, at: dt.datetime | None = None, status="sending") -> None:
    Reminder.objects.filter(pk=row.pk).update(
        status=status, claimed_by=by, claimed_at=at or timezone.now()
    )


def test_rows_of_a_dead_process_go_back_and_out_and_a_live_ones_stay(rows, mailoutbox):
    live = f"{HOST}:{os.getpid()}"
    dead = f"{HOST}:{dead_pid()}"
    hold(rows[0], live)
    hold(rows[1], dead)
    hold(rows[2], dead, status="pending")  # waiting for the dead one's retry

    tasks.recover_claims()

    status = dict(Reminder.objects.values_list("pk", "status"))
    assert status[rows[0].pk] == "sending"
    assert status[rows[1].pk] == status[rows[2].pk] == "sent"
    assert len(mailoutbox) == 2


def test_a_reused_pid_does_not_keep_the_dead_ones_claims(rows):
    me = f"{HOST}:{os.getpid()}"
    started = claimants.alive_since(me)
    assert isinstance(started, dt.datetime)
    hold(rows[0], me, at=started - dt.timedelta(minutes=5))  # before this process began
    hold(rows[1], me)

    found = outbox.recover()

    assert found.reminders == [rows[0].pk]
    assert Reminder.objects.get(pk=rows[1].pk).status == "sending"


def test_another_hosts_claimant_counts_while_its_lease_lasts(rows):
    alive, gone = "elsewhere:101", "elsewhere:102"
    cache.set(f"outbox:alive:{alive}", 1, timeout=60)
    cache.delete(f"outbox:alive:{gone}")
    hold(rows[0], alive)
    hold(rows[1], gone)

    found = outbox.recover()

    assert found.reminders == [rows[1].pk] and found.foreign_alive
    assert claimants.alive_since(alive) is None and claimants.alive_since(gone) is False


def test_claiming_names_this_process_and_starts_its_lease(rows):
    me, claimed = outbox.claim(Reminder.objects.filter(pk=rows[0].pk))
    assert me.by == f"{HOST}:{os.getpid()}" and [r.pk for r in claimed] == [rows[0].pk]
    assert cache.get(f"outbox:alive:{me.by}")
