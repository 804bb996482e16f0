"""The email helper every app uses: one message from three templates.

`make_message(name, to, ctx)` renders `templates/emails/<name>-subject.txt`,
`-body.txt` and `-body.html` into a `WireMessage`: an EmailMultiAlternatives whose
header lines may run to RFC 5322's 998 characters (Python's default of 78 folds a
long List-Unsubscribe URL into RFC 2047 encoded words, which mail clients do not
read as a URL). What each email says lives with its app (tracker/emails.py,
watcher/notify.py); how bulk email is queued and sent lives in tracker/outbox.py.
"""

from __future__ import annotations

import email.policy

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)


class WireMessage(EmailMultiAlternatives):
    """Serialised with WIRE_POLICY whatever the backend asks for (Django's SMTP
    backend passes email.policy.SMTP)."""

    def message(self, *, policy=WIRE_POLICY):  # noqa: ARG002 - the backend's choice is ignored
        return super().message(policy=WIRE_POLICY)


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def make_message(
    name: str, to: str | list[str], ctx: dict, *, headers: dict | None = None
) -> WireMessage:
    ctx = {"site_url": settings.SITE_URL, **ctx}
    subject = render_to_string(f"emails/{name}-subject.txt", ctx)
    subject = " ".join(subject.split())  # one line, whatever the template did
    text = render_to_string(f"emails/{name}-body.txt", ctx)
    html = render_to_string(f"emails/{name}-body.html", ctx)
    recipients = [to] if isinstance(to, str) else list(to)
    message = WireMessage(subject, text, to=recipients, headers=headers or {})
    message.attach_alternative(html, "text/html")
    return message
