"""The outbox logic in-process (eager tasks) against the local SMTP server: what the
emails say, who gets them, retries, failing addresses, digests, nudges, the sweeper."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from guides.models import PolicyChange
from guides.signals import publish
from tests.reminders.conftest import make_change, make_followers
from tests.smtp_sink import SmtpSink
from tracker import emails, outbox, reminders, tasks
from tracker.models import Progress, Reminder, Subscription, Visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def publish_now(change):
        with django_capture_on_commit_callbacks(execute=True):
            assert publish(change)

    return publish_now


def test_reminder_says_what_changed_and_where_the_person_stands(
    platform, smtp_sink, run_on_commit, settings
):
    settings.SITE_URL = "https://optout.example"
    guide = platform.guides.get()
    visitor = Visitor.objects.create()
    steps = list(guide.steps.all())
    Progress.objects.bulk_create(Progress(visitor=visitor, guide=guide, step=s) for s in steps)
    sub = make_followers(platform, 1, visitor=visitor)[0]
    change = make_change(platform, [guide], title="AI training switched on", summary="Since May.")

    run_on_commit(change)

    [message] = smtp_sink.wait_for(1)
    assert "Chirper" in message["Subject"] and "AI training switched on" in message["Subject"]
    text = SmtpSink.text_of(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert "AI training switched on" in body and "Since May." in body
        assert timezone.localdate().strftime("%Y") in body
        assert "Turn off AI training" in body
        assert "Needs re-check" in body  # done before this change
        assert f"https://optout.example{guide.get_absolute_url()}" in body
        assert "/me/subscription/" in body and "/me/unsubscribe/" in body
    assert "<img" not in html
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://optout.example/me/unsubscribe/")
    assert "=?" not in unsubscribe  # a URL, not RFC 2047 encoded words
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Reminder.objects.get(subscription=sub).status == Reminder.Status.SENT


def test_reminder_without_a_visitor_says_not_tracked(platform, smtp_sink, run_on_commit):
    make_followers(platform, 1)
    run_on_commit(make_change(platform, list(platform.guides.all())))
    assert "Not tracked" in SmtpSink.text_of(smtp_sink.wait_for(1)[0])


def test_only_followers_of_the_platform_are_reminded(platform, smtp_sink, run_on_commit):
    from tests.factories import make_platform

    other = make_platform()
    make_followers(other, 3, prefix="other")
    mine = make_followers(platform, 2)
    run_on_commit(make_change(platform))
    assert sorted(smtp_sink.recipients) == sorted(s.email for s in mine)


def test_history_loaded_with_a_platform_emails_nobody(platform, mailoutbox, run_on_commit):
    make_followers(platform, 3)
    run_on_commit(make_change(platform, date=timezone.localdate() - dt.timedelta(days=90)))
    assert mailoutbox == [] and not Reminder.objects.exists()


def test_weekly_subscribers_get_one_digest_instead(platform, mailoutbox, run_on_commit):
    [weekly] = make_followers(platform, 1, frequency=Subscription.Frequency.WEEKLY)
    run_on_commit(make_change(platform, title="First change"))
    run_on_commit(make_change(platform, title="Second change"))
    assert mailoutbox == []

    tasks.send_weekly_digests()
    tasks.send_weekly_digests()  # nothing left to claim

    [digest] = mailoutbox
    assert digest.to == [weekly.email] and "Chirper" in digest.subject
    assert "First change" in digest.body and "Second change" in digest.body
    assert Reminder.objects.filter(status=Reminder.Status.SENT).count() == 2


def test_transient_smtp_error_keeps_rows_pending_until_it_passes(
    platform, smtp_sink, run_on_commit, settings
):
    followers = make_followers(platform, 3)
    smtp_sink.refuse_with = "451 4.3.0 try again later"
    run_on_commit(make_change(platform))

    assert smtp_sink.messages == []
    rows = Reminder.objects.all()
    assert {r.status for r in rows} == {Reminder.Status.PENDING}
    assert all(r.attempts == 1 and "451" in r.last_error for r in rows)

    smtp_sink.refuse_with = None
    settings.REMINDER_STUCK_AFTER = 0
    tasks.sweep_reminders()
    tasks.sweep_reminders()
    assert sorted(smtp_sink.recipients) == sorted(s.email for s in followers)


def test_permanent_smtp_error_fails_the_reminder_at_once_and_the_address_after_a_few(
    platform, smtp_sink, run_on_commit, settings
):
    [sub] = make_followers(platform, 1)
    smtp_sink.refuse_with = "550 5.1.1 no such user"
    settings.REMINDER_STUCK_AFTER = 0
    run_on_commit(make_change(platform))
    for _ in range(settings.REMINDER_MAX_ATTEMPTS):
        tasks.sweep_reminders()  # a 5xx is never retried: the sweeps send nothing

    row = Reminder.objects.get()
    assert (row.status, row.attempts) == (Reminder.Status.FAILED, 1)
    assert row.last_error.startswith("550") and "no such user" in row.last_error
    sub.refresh_from_db()
    assert sub.failing_since is None  # one refusal does not give up on the address

    for i in range(1, settings.REMINDER_MAX_ATTEMPTS):
        run_on_commit(make_change(platform, title=f"Change {i}"))
    assert Reminder.objects.filter(status=Reminder.Status.FAILED).count() == (
        settings.REMINDER_MAX_ATTEMPTS
    )
    sub.refresh_from_db()
    assert sub.failing_since is not None

    smtp_sink.refuse_with = None
    run_on_commit(make_change(platform, title="Another change"))
    assert smtp_sink.messages == []


def test_smtp_server_down_leaves_rows_pending(platform, settings, run_on_commit):
    from tests.smtp_sink import free_port

    settings.MAILERS = SmtpSink(port=free_port()).mailers  # nobody listens
    make_followers(platform, 2)
    run_on_commit(make_change(platform))
    rows = Reminder.objects.all()
    assert {r.status for r in rows} == {Reminder.Status.PENDING}
    assert all(r.attempts == 0 and "connection" in r.last_error for r in rows)


def test_lost_claim_sends_nothing_and_the_connection_recovers(platform, smtp_sink):
    subs = make_followers(platform, 3)
    change = make_change(platform)
    PolicyChange.objects.filter(pk=change.pk).update(published_at=timezone.now())
    list(reminders.fan_out(change.pk))
    me, rows = reminders.claim_wanted(Reminder.objects.all())
    # The sweeper takes the second row back while this batch is under way.
    Reminder.objects.filter(pk=rows[1].pk).update(status=Reminder.Status.PENDING, claimed_by="")

    item = emails.Composer().item
    deliveries = [
        outbox.Delivery(
            [r.pk],
            lambda r=r: emails.policy_change(
                r.subscription, item(r.subscription, change), r.message_id
            ),
        )
        for r in rows
    ]
    outcome = outbox.send_claimed(Reminder, deliveries, me)

    assert outcome.sent == 2
    assert sorted(smtp_sink.recipients) == sorted([subs[0].email, subs[2].email])
    assert Reminder.objects.get(pk=rows[1].pk).status == Reminder.Status.PENDING


def test_sweeper_returns_rows_a_dead_worker_held(platform, mailoutbox):
    make_followers(platform, 2)
    change = make_change(platform)
    long_ago = timezone.now() - dt.timedelta(hours=1)
    PolicyChange.objects.filter(pk=change.pk).update(published_at=long_ago)
    reminders.fan_out(change.pk)  # rows written; then the worker died holding them
    Reminder.objects.update(
        status=Reminder.Status.SENDING, claimed_at=long_ago, created_at=long_ago
    )

    tasks.sweep_reminders()

    assert len(mailoutbox) == 2
    assert {r.status for r in Reminder.objects.all()} == {Reminder.Status.SENT}


def test_sweeper_leaves_fresh_claims_alone(platform, mailoutbox):
    make_followers(platform, 2)
    change = make_change(platform)
    PolicyChange.objects.filter(pk=change.pk).update(published_at=timezone.now())
    reminders.fan_out(change.pk)
    Reminder.objects.update(status=Reminder.Status.SENDING, claimed_at=timezone.now())

    tasks.sweep_reminders()

    assert mailoutbox == []
    assert {r.status for r in Reminder.objects.all()} == {Reminder.Status.SENDING}


def test_sweeper_fans_out_a_change_whose_wake_up_call_was_lost(
    platform, mailoutbox, run_on_commit, settings
):
    make_followers(platform, 2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tasks, "enqueue", lambda task, *args: False)
        run_on_commit(make_change(platform))
    assert not Reminder.objects.exists()

    settings.REMINDER_STUCK_AFTER = 0
    tasks.sweep_reminders()
    tasks.sweep_reminders()

    assert len(mailoutbox) == 2


def test_recheck_nudge_is_sent_once_when_a_reverting_setting_falls_due(platform, mailoutbox):
    guide = platform.guides.get()
    guide.recheck_after_days = 30
    guide.save(update_fields=["recheck_after_days"])
    visitor = Visitor.objects.create()
    done_at = timezone.now() - dt.timedelta(days=31)
    Progress.objects.bulk_create(
        Progress(visitor=visitor, guide=guide, step=s, done_at=done_at) for s in guide.steps.all()
    )
    make_followers(platform, 1, prefix="no-nudges", visitor=visitor)
    [sub] = make_followers(platform, 1, visitor=visitor, recheck_nudges=True)

    tasks.send_recheck_nudges()
    tasks.send_recheck_nudges()

    [nudge] = mailoutbox
    assert nudge.to == [sub.email] and "Chirper" in nudge.subject
    assert guide.get_absolute_url() in nudge.body
    assert nudge.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_policy_change_added_in_the_admin_is_published_once(
    client, platform, mailoutbox, django_capture_on_commit_callbacks
):
    admin = get_user_model().objects.create_superuser("editor@example.org", "pw")
    client.force_login(admin)
    make_followers(platform, 2)
    guide = platform.guides.get()
    data = {
        "platform": platform.pk,
        "date": timezone.localdate().isoformat(),
        "title": "Opt-out form retired",
        "summary": "Use the setting instead.",
        "source": "https://chirper.example/blog",
        "affects": [guide.pk],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:guides_policychange_add"), data)
    assert response.status_code == 302, response.content[:2000]
    change = PolicyChange.objects.get(title="Opt-out form retired")
    assert change.published_at is not None
    assert len(mailoutbox) == 2

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:guides_policychange_change", args=[change.pk]),
            {**data, "summary": "Typo fixed."},
        )
    assert len(mailoutbox) == 2
