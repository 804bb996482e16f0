"""`tracker.outbox.put`: one email in the outbox for other features, with the reminders'
guarantees (once per key, a fixed Message-ID, recovered when its worker dies), and
covered by export and erase."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from django.utils import timezone

from optout_site.emails import make_message
from tracker import outbox, tasks
from tracker.models import OutboxEmail

pytestmark = pytest.mark.django_db


def dead_claimant() -> str:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}"


def message(to: str = "ada@example.org"):
    return make_message("already-subscribed", to, {"manage_url": "https://optout.example/m/"})


def test_put_stores_one_email_per_key_and_recovery_covers_it(mailoutbox, settings):
    settings.SITE_URL = "https://optout.example"
    row = outbox.put("test:1", message(), wake=False)
    assert outbox.put("test:1", message(), wake=False) is None  # the same key: nothing more
    assert row.message_id.endswith("@optout.example>")
    OutboxEmail.objects.filter(pk=row.pk).update(
        status="sending", claimed_by=dead_claimant(), claimed_at=timezone.now()
    )

    tasks.recover_claims()

    [sent] = mailoutbox
    assert sent.to == ["ada@example.org"] and sent.extra_headers["Message-ID"] == row.message_id
    assert OutboxEmail.objects.get().status == "sent"


def test_put_sends_after_the_commit_once(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = outbox.put("test:2", message())
        assert mailoutbox == []  # not before the commit
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.put("test:2", message()) is None
    [sent] = mailoutbox
    assert sent.extra_headers["Message-ID"] == row.message_id
    tasks.send_email([row.pk])  # a second wake-up finds nothing to claim
    assert len(mailoutbox) == 1


def test_a_persons_outbox_emails_are_exported_and_erased(client):
    from tracker.models import User

    client.force_login(User.objects.create_user("gone@example.org"))
    outbox.put("test:3", message("gone@example.org"), wake=False)
    outbox.put("test:4", message("stays@example.org"), wake=False)

    data = json.loads(client.get("/me/data.json").content)
    emails = [(e["to"], e["status"]) for e in data["outbox_emails"]]
    assert emails == [("gone@example.org", "pending")]
    assert "stays@example.org" not in json.dumps(data)

    assert client.post("/me/delete/", {"confirm": "on"}).status_code == 302
    assert list(OutboxEmail.objects.values_list("to", flat=True)) == ["stays@example.org"]
