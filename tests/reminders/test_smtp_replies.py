"""What the outbox does with each SMTP reply, in-process against the local SMTP server:
sent only after the 250 to the final dot; 5xx failed with the reply and never retried;
4xx and a connection lost before the 250 retried, with the same Message-ID."""

from __future__ import annotations

import pytest

from guides.signals import publish
from tests.reminders.conftest import make_change, make_followers
from tracker import tasks
from tracker.models import Reminder

pytestmark = pytest.mark.django_db

SENT, PENDING, FAILED = Reminder.Status.SENT, Reminder.Status.PENDING, Reminder.Status.FAILED


def _publish(change, capture):
    with capture(execute=True):
        assert publish(change)


def test_each_reply_settles_its_row_and_nobody_is_lost(
    platform, smtp_sink, settings, django_capture_on_commit_callbacks
):
    subs = make_followers(platform, 8)
    busy, gone, dropped = subs[1].email, subs[3].email, subs[5].email
    smtp_sink.refuse_rcpt[busy] = ("451 4.2.1 mailbox busy, try later", 1)
    smtp_sink.refuse_rcpt[gone] = ("550 5.1.1 no such user", None)
    smtp_sink.drop_after_dot.add(dropped)
    change = make_change(platform)

    _publish(change, django_capture_on_commit_callbacks)

    rows = {r.subscription.email: r for r in Reminder.objects.select_related("subscription")}
    assert (rows[gone].status, rows[gone].attempts) == (FAILED, 1)
    assert rows[gone].last_error == "550 5.1.1 no such user"
    assert (rows[busy].status, rows[busy].attempts) == (PENDING, 1)
    assert rows[busy].last_error.startswith("451")
    assert rows[dropped].status == PENDING and "connection" in rows[dropped].last_error
    # The server dropped the connection after one message; the rest went on a new one.
    others = {s.email for s in subs} - {busy, gone, dropped}
    assert {e for e, r in rows.items() if r.status == SENT} == others

    settings.REMINDER_STUCK_AFTER = 0
    tasks.sweep_reminders()
    tasks.sweep_reminders()

    statuses = dict(Reminder.objects.values_list("subscription__email", "status"))
    assert statuses == {**dict.fromkeys(others | {busy, dropped}, SENT), gone: FAILED}
    assert smtp_sink.rcpt_attempts[gone] == 1  # a 5xx is never retried
    assert gone not in smtp_sink.recipients
    # The dropped one arrived twice (the server had it before it hung up): one Message-ID.
    copies = smtp_sink.to(dropped)
    assert len(copies) == 2
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"] == rows[dropped].message_id


def test_a_5xx_to_data_fails_the_row_with_the_reply(
    platform, smtp_sink, django_capture_on_commit_callbacks
):
    make_followers(platform, 2)
    smtp_sink.refuse_with = "554 5.7.1 message refused"
    _publish(make_change(platform), django_capture_on_commit_callbacks)
    assert {(r.status, r.attempts, r.last_error) for r in Reminder.objects.all()} == {
        (FAILED, 1, "554 5.7.1 message refused")
    }


def test_message_ids_are_random_at_the_sites_domain_and_fixed_on_the_row(
    platform, smtp_sink, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://optout.example"
    make_followers(platform, 50)
    change = make_change(platform)
    _publish(change, django_capture_on_commit_callbacks)

    ids = dict(Reminder.objects.values_list("subscription__email", "message_id"))
    assert len(set(ids.values())) == 50
    for value in ids.values():
        local, _, domain = value.strip("<>").partition("@")
        assert domain == "optout.example" and len(local) == 32 and int(local, 16) >= 0
    received = {m["To"]: m["Message-ID"] for m in smtp_sink.wait_for(50)}
    assert received == ids
