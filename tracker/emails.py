"""The tracker's emails: one small function per kind, rendered from templates/emails/.

`make_message(name, to, ctx)` renders `emails/<name>-subject.txt`, `-body.txt` and
`-body.html`. Bulk messages (reminders, digests, nudges) carry RFC 8058 one-click
unsubscribe headers. `send_committing` is how the outbox hands one message to SMTP
so that a killed worker neither loses nor repeats it (see its docstring).
"""

from __future__ import annotations

import email.policy
import re
import smtplib
import socket
from collections.abc import Callable

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.urls import reverse

from tracker.models import Subscription

UNSUBSCRIBE_SALT = "tracker.unsubscribe"
MANAGE_SALT = "tracker.manage"


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def signed_token(subscription: Subscription, salt: str) -> str:
    """An opaque link token: the subscription's random token, signed for this use."""
    return signing.Signer(salt=salt).sign(subscription.token)


def unsubscribe_url(subscription: Subscription) -> str:
    token = signed_token(subscription, UNSUBSCRIBE_SALT)
    return absolute(reverse("tracker:unsubscribe", args=[token]))


def manage_url(subscription: Subscription) -> str:
    return absolute(reverse("tracker:manage", args=[signed_token(subscription, MANAGE_SALT)]))


def make_message(
    name: str, to: str, ctx: dict, *, headers: dict | None = None
) -> EmailMultiAlternatives:
    ctx = {"site_url": settings.SITE_URL, **ctx}
    subject = render_to_string(f"emails/{name}-subject.txt", ctx)
    subject = " ".join(subject.split())  # one line, whatever the template did
    text = render_to_string(f"emails/{name}-body.txt", ctx)
    html = render_to_string(f"emails/{name}-body.html", ctx)
    message = EmailMultiAlternatives(subject, text, to=[to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    return message


def _bulk_headers(subscription: Subscription, message_key: str) -> dict:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscription)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
        # Stable per outbox row: should a message ever go out twice, mail clients
        # can tell it is the same one.
        "Message-ID": f"<{message_key}@{DNS_NAME.get_fqdn()}>",
    }


def _bulk_ctx(subscription: Subscription) -> dict:
    return {
        "subscription": subscription,
        "manage_url": manage_url(subscription),
        "unsubscribe_url": unsubscribe_url(subscription),
    }


def sign_in(to: str, url: str, minutes: int) -> EmailMultiAlternatives:
    return make_message("signin", to, {"url": url, "minutes": minutes})


def confirm_subscription(subscription: Subscription, confirm_url: str) -> EmailMultiAlternatives:
    ctx = {"confirm_url": confirm_url, "hours": settings.REMINDER_CONFIRM_HOURS}
    return make_message("confirm-subscription", subscription.email, ctx)


def already_subscribed(subscription: Subscription) -> EmailMultiAlternatives:
    ctx = {"manage_url": manage_url(subscription)}
    return make_message("already-subscribed", subscription.email, ctx)


def policy_change(subscription: Subscription, item: dict, key: str) -> EmailMultiAlternatives:
    """One change: `item` is {"change", "platform", "guides": [{"guide", "url", "status"}]}."""
    ctx = {**_bulk_ctx(subscription), "item": item}
    return make_message(
        "policy-change", subscription.email, ctx, headers=_bulk_headers(subscription, key)
    )


def digest(subscription: Subscription, items: list[dict], key: str) -> EmailMultiAlternatives:
    ctx = {**_bulk_ctx(subscription), "items": items}
    return make_message("digest", subscription.email, ctx, headers=_bulk_headers(subscription, key))


def recheck_nudge(subscription: Subscription, due: list[dict], key: str) -> EmailMultiAlternatives:
    """`due` is [{"guide", "url", "finished_at", "days"}]."""
    ctx = {**_bulk_ctx(subscription), "due": due}
    return make_message(
        "recheck-nudge", subscription.email, ctx, headers=_bulk_headers(subscription, key)
    )


class LostClaim(Exception):
    """The row was taken from us before the message was complete; it was not sent."""


_LEADING_DOT = re.compile(rb"(?m)^\.")
# Lines up to RFC 5322's 998: the default 78 makes Python fold the long List-Unsubscribe
# URL into RFC 2047 encoded words, which mail clients do not read as a URL.
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)


def send_committing(backend, message: EmailMultiAlternatives, commit: Callable[[], bool]) -> None:
    """Send one message on an open backend; `commit()` records it as sent.

    Why not send, then mark sent: a worker killed between the server's "250 OK" and
    our UPDATE leaves a delivered message marked "sending", and the sweeper would
    send it again. Over SMTP the message only exists once the final "." is written,
    so we commit first and then write those three bytes: the database and the server
    can then only disagree if the worker dies between PostgreSQL's commit and that
    write (the message is lost, not repeated). If `commit()`
    returns False (the sweeper took the row back), the connection is dropped before
    the dot and the server discards the message; LostClaim is raised. If the server
    then refuses the message, the SMTP exception propagates and the caller undoes
    the commit. Backends without an SMTP connection (console, locmem) send, then
    commit.
    """
    smtp = getattr(backend, "connection", None)
    if not isinstance(smtp, smtplib.SMTP):
        backend.send_messages([message])
        commit()
        return
    # The body and the final dot are two writes: without this, Nagle's algorithm holds
    # the dot until the server's delayed ACK (40 ms a message).
    smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sender = backend.prep_address(message.from_email)
    recipients = [backend.prep_address(a) for a in message.recipients()]
    data = message.message(policy=WIRE_POLICY).as_bytes()
    smtp.ehlo_or_helo_if_needed()
    code, resp = smtp.mail(sender)
    if code != 250:
        smtp.rset()
        raise smtplib.SMTPSenderRefused(code, resp, sender)
    for rcpt in recipients:
        code, resp = smtp.rcpt(rcpt)
        if code not in (250, 251):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused({rcpt: (code, resp)})
    code, resp = smtp.docmd("data")
    if code != 354:
        smtp.rset()
        raise smtplib.SMTPDataError(code, resp)
    body = _LEADING_DOT.sub(b"..", data)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body)
    if not commit():
        smtp.close()  # no QUIT: inside DATA it would become part of the message
        backend.connection = None
        raise LostClaim
    smtp.send(b".\r\n")
    code, resp = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, resp)
