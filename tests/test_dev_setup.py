"""A newcomer's set-up: `make run PORT=…`, readable console email, a sync_guides
summary, and Atom entries dated by the change."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command

from guides.models import Platform
from optout_site.console_mail import EmailBackend
from tests.celery_eager import eager_celery

ATOM = "{http://www.w3.org/2005/Atom}"


def test_make_run_serves_on_port_and_links_follow_it():
    # Under `make test` the parent make's MAKEFLAGS/MAKELEVEL would add
    # "Entering/Leaving directory" lines; run it as a person would from a shell.
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    out = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", "PORT=8001"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    last = out.strip().splitlines()[-1]
    assert "runserver 127.0.0.1:8001" in last
    assert "SITE_URL=${SITE_URL:-http://127.0.0.1:8001}" in last


def test_console_email_keeps_long_links_whole():
    link = "http://127.0.0.1:8001/me/subscribe/confirm/" + "x" * 120 + "/"
    message = EmailMultiAlternatives("Confirm", f"Open this link:\n{link}\n", to=["a@example.org"])
    message.attach_alternative(f'<a href="{link}">confirm</a>', "text/html")
    stream = io.StringIO()
    EmailBackend(stream=stream).send_messages([message])
    printed = stream.getvalue()
    assert link in printed.splitlines()
    assert "Subject: Confirm" in printed and "=\n" not in printed


@pytest.mark.django_db(transaction=True)
def test_sync_guides_prints_a_summary_not_a_line_per_task(caplog):
    Platform.objects.all().delete()  # a fresh database, as on a first `make run`
    out, err = io.StringIO(), io.StringIO()
    with eager_celery(), caplog.at_level(logging.INFO):
        call_command("sync_guides", stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    files = len(list((settings.BASE_DIR / "guides" / "content").glob("*.yaml")))
    assert lines[0].startswith(f"{files} platform(s) loaded: {files} new, 0 updated, 0 unchanged")
    assert len(lines) <= 4, lines
    assert "succeeded in" not in caplog.text and err.getvalue() == ""


@pytest.mark.django_db
def test_atom_entries_carry_the_date_of_the_change(client, content):
    feed = ET.fromstring(client.get("/platforms/linkedin/changes.atom").content)
    entries = {e.findtext(f"{ATOM}title"): e for e in feed.iter(f"{ATOM}entry")}
    title = "LinkedIn: Training extended to the EU/EEA, UK, Switzerland, Canada and Hong Kong"
    entry = entries[title]
    assert entry.findtext(f"{ATOM}updated").startswith("2025-11-03")
    assert entry.findtext(f"{ATOM}published").startswith("2025-11-03")
