"""The outbox engine: claim rows, send them over one SMTP connection, settle, recover.

Every bulk email goes through here: reminders (tracker/reminders.py), weekly digests
(tracker/digests.py), re-check nudges (tracker/nudges.py) and any email a feature puts
in the outbox with `put`. What those emails say is tracker/emails.py's business.

The guarantee is **at least once**, and in practice exactly once:

- `claim` moves rows pending → sending with a conditional UPDATE, stamped with this
  process ("host:pid") and the time; only the claimant sends them.
- `send_claimed` hands each message to Django's SMTP backend (one connection for the
  batch) and marks its rows `sent` only after the server answered 250 to the final
  dot. A worker killed before that 250 leaves the rows in `sending`; they are sent
  again. A duplicate happens only if the worker dies in the one round trip between the
  server's 250 and our UPDATE, and it carries the same `Message-ID` (fixed on the row
  when it was written), which mail clients fold.
- 5xx to RCPT or DATA: the rows are `failed` with the server's reply, never retried.
  4xx, a refused sender, or the connection lost before the 250: back to `pending`
  (still naming this process), retried with backoff by the caller's task.
- `recover` (run by every worker when it starts, and by beat's sweeper) puts back
  the rows of processes that are gone: on this host, a pid that no longer runs (or
  started after the claim); on another host, one whose lease in the cache expired.
  A live worker's claims are left alone. So a restart alone delivers everything a
  dead worker held; beat adds the time-based `sweep` for what the broker lost.

Putting one email in the outbox (for features such as overdue-reply letters):

    from optout_site.emails import make_message
    from tracker import outbox

    with transaction.atomic():
        ...  # record whatever decided that the email is due
        outbox.put(f"request-overdue:{request.pk}", make_message("request-overdue", to, ctx))

`put(key, message)` stores the rendered message under a unique `key` with a fresh
Message-ID and, after the commit, wakes `tracker.send_email`. It returns False and
stores nothing when that key was already put: "send this person one overdue-reply
email" holds however many times the caller asks. The row is retried, recovered and
swept like a reminder; erase and export cover it (tracker/personal_data.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from optout_site.emails import WireMessage
from tracker.claimants import alive_since, identity
from tracker.models import OutboxEmail, OutboxRow, Reminder

log = logging.getLogger(__name__)

PENDING, SENDING, SENT = OutboxRow.Status.PENDING, OutboxRow.Status.SENDING, OutboxRow.Status.SENT
FAILED, SKIPPED = OutboxRow.Status.FAILED, OutboxRow.Status.SKIPPED
# The connection is gone or in an unknown state: reconnect, and retry the message.
CONNECTION_ERRORS = (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)
# A batch re-reads its claims this often: the sweeper takes rows back only after
# REMINDER_STUCK_AFTER, so a row it took can be sent at most this long after (and
# then with its one Message-ID).
CLAIM_CHECK_EVERY = 1.0
MODELS: tuple[type[OutboxRow], ...] = (Reminder, OutboxEmail)


# --- Message-IDs ----------------------------------------------------------------------------


def message_id_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def new_message_id() -> str:
    """Globally unique: 128 random bits at the site's own domain."""
    return f"<{secrets.token_hex(16)}@{message_id_domain()}>"


def message_id_sql() -> tuple[str, list]:
    """The same, as an SQL expression evaluated per row (for INSERT ... SELECT)."""
    if connection.vendor == "postgresql":
        random = "replace(gen_random_uuid()::text, '-', '')"
    else:
        random = "lower(hex(randomblob(16)))"
    return f"('<' || {random} || '@' || %s || '>')", [message_id_domain()]


# --- claiming and settling ---------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    by: str
    at: dt.datetime

    @property
    def match(self) -> dict:
        return {"claimed_by": self.by, "claimed_at": self.at}


def claim(query) -> tuple[Claim, list]:
    """pending → sending for the rows of `query`; returns our claim and the rows we won."""
    me = Claim(identity(), timezone.now())
    model = query.model
    ids = list(query.filter(status=PENDING).values_list("pk", flat=True))
    model.objects.filter(pk__in=ids, status=PENDING).update(status=SENDING, **me.match)
    return me, list(query.filter(pk__in=ids, status=SENDING, **me.match).order_by("pk"))


def settle(model, ids: list[int], me: Claim, status: str, error: str = "", tried=False) -> int:
    """Our claimed rows (still `sending` under our claim) go to `status`."""
    if not ids:
        return 0
    updates: dict = {"status": status, "last_error": error[:300]}
    if status == PENDING:
        updates["claimed_at"] = timezone.now()  # "last touched": the sweeper waits from here
    if tried:
        updates["attempts"] = F("attempts") + 1
    return model.objects.filter(pk__in=ids, status=SENDING, **me.match).update(**updates)


def mark_sent(model, ids: list[int], me: Claim) -> bool:
    n = model.objects.filter(pk__in=ids, status=SENDING, **me.match).update(
        status=SENT, sent_at=timezone.now(), last_error=""
    )
    if n != len(ids):  # the sweeper took them back while the server was accepting
        log.warning("outbox: %s of %s rows sent after their claim was lost", len(ids) - n, ids)
    return n == len(ids)


class ClaimCheck:
    """Which of a batch's rows are still ours, asked at most every CLAIM_CHECK_EVERY
    seconds (one query for the whole rest of the batch, not one per message)."""

    def __init__(self, model, me: Claim) -> None:
        self.model, self.me, self.checked, self.ours = model, me, -CLAIM_CHECK_EVERY, set()

    def still_ours(self, ids: list[int], rest: Iterable[int]) -> bool:
        if time.monotonic() - self.checked >= CLAIM_CHECK_EVERY:
            query = self.model.objects.filter(pk__in=list(rest), status=SENDING, **self.me.match)
            self.ours = set(query.values_list("pk", flat=True))
            self.checked = time.monotonic()
        return all(pk in self.ours for pk in ids)


# --- sending -----------------------------------------------------------------------------------


@dataclass
class Delivery:
    """One message for `ids` (one reminder, or every row of a digest)."""

    ids: list[int]
    compose: Callable[[], EmailMessage]


@dataclass
class Outcome:
    sent: int = 0
    retry: list[int] = field(default_factory=list)  # ids to try again later (backoff)
    failed: list[int] = field(default_factory=list)  # ids refused for good


def smtp_code(exc: Exception) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return min(code for code, _ in exc.recipients.values())
    return getattr(exc, "smtp_code", 0) or 0


def _reply(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = min(exc.recipients.values())
    else:
        code, text = smtp_code(exc), getattr(exc, "smtp_error", b"")
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}"


def _send_one(backend, model, delivery: Delivery, me: Claim, outcome: Outcome) -> bool:
    """Send one delivery; False when the connection is gone (the caller reconnects)."""
    ids = delivery.ids
    try:
        backend.send_messages([delivery.compose()])
    except smtplib.SMTPSenderRefused as exc:  # our sender, not their address: retry
        settle(model, ids, me, PENDING, _reply(exc), tried=True)
        outcome.retry.extend(ids)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
        if smtp_code(exc) >= 500:
            settle(model, ids, me, FAILED, _reply(exc), tried=True)
            outcome.failed.extend(ids)
        else:
            settle(model, ids, me, PENDING, _reply(exc), tried=True)
            outcome.retry.extend(ids)
    except (*CONNECTION_ERRORS, smtplib.SMTPException) as exc:
        settle(model, ids, me, PENDING, f"connection: {exc}")
        outcome.retry.extend(ids)
        return False
    else:
        mark_sent(model, ids, me)
        outcome.sent += 1
    return True


def send_claimed(model, deliveries: Iterable[Delivery], me: Claim) -> Outcome:
    """Send each delivery over one connection (reopened once if the server drops it)."""
    outcome = Outcome()
    deliveries = list(deliveries)
    backend = mailers.default
    check = ClaimCheck(model, me)
    for i, delivery in enumerate(deliveries):
        if not check.still_ours(delivery.ids, (pk for d in deliveries[i:] for pk in d.ids)):
            log.info("outbox: %s taken back by the sweeper before sending; not sent", delivery.ids)
            continue
        try:
            backend.open()
        except CONNECTION_ERRORS as exc:
            rest = [pk for d in deliveries[i:] for pk in d.ids]
            settle(model, rest, me, PENDING, f"connection: {exc}")
            outcome.retry.extend(rest)
            break
        if not _send_one(backend, model, delivery, me, outcome):
            close_quietly(backend)  # the next message opens a new connection
    close_quietly(backend)
    return outcome


def close_quietly(backend) -> None:
    try:
        backend.close()
    except (*CONNECTION_ERRORS, smtplib.SMTPException):
        log.info("closing the SMTP connection failed; it is gone anyway")
    if getattr(backend, "connection", None) is not None:
        backend.connection = None


# --- one email, put in the outbox by a feature --------------------------------------------------


def put(key: str, message: EmailMessage, *, wake: bool = True) -> OutboxEmail | None:
    """Store one rendered email under `key` and send it after the commit; None if the
    key was already put (nothing stored, nothing sent)."""
    html = next((c for c, mime in getattr(message, "alternatives", []) if mime == "text/html"), "")
    try:
        with transaction.atomic():
            row = OutboxEmail.objects.create(
                key=key,
                to=message.to[0],
                subject=message.subject,
                text=message.body,
                html=html,
                headers=dict(message.extra_headers),
                message_id=new_message_id(),
            )
    except IntegrityError:
        return None
    if wake:
        from tracker import tasks

        transaction.on_commit(lambda: tasks.enqueue(tasks.send_email, [row.pk]))
    return row


def _rebuild(row: OutboxEmail) -> WireMessage:
    message = WireMessage(
        row.subject, row.text, to=[row.to], headers={**row.headers, "Message-ID": row.message_id}
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    return message


def send_emails(ids: list[int]) -> Outcome:
    """Send the pending OutboxEmail rows among `ids`."""
    me, rows = claim(OutboxEmail.objects.filter(pk__in=ids))
    return send_claimed(OutboxEmail, [Delivery([r.pk], lambda r=r: _rebuild(r)) for r in rows], me)


# --- recovery and sweeping -----------------------------------------------------------------------


@dataclass
class Found:
    """Rows put back to pending, for the caller to enqueue."""

    reminders: list[int] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)  # subscription ids
    emails: list[int] = field(default_factory=list)
    changes: list[int] = field(default_factory=list)  # filled by tracker.reminders
    # Another host's claimant whose lease has not expired yet: look again later.
    foreign_alive: bool = False


def _put_back(model, query, found: Found) -> int:
    """Rows of `query` back to pending, unclaimed; `found` says what to wake."""
    rows = list(query.values_list("pk", "status"))
    n = model.objects.filter(pk__in=[pk for pk, _ in rows], status__in=[PENDING, SENDING]).update(
        status=PENDING, claimed_by="", claimed_at=None
    )
    ids = [pk for pk, _ in rows]
    if model is OutboxEmail:
        found.emails.extend(ids)
        return n
    weekly = model.objects.filter(pk__in=ids, subscription__frequency="weekly")
    weekly_ids = set(weekly.values_list("pk", flat=True))
    found.digests = sorted(
        set(found.digests) | set(weekly.values_list("subscription_id", flat=True))
    )
    found.reminders.extend(pk for pk in ids if pk not in weekly_ids)
    return n


def recover(found: Found | None = None) -> Found:
    """Put back what processes that are gone had claimed (sending, or pending a retry)."""
    found = found or Found()
    for model in MODELS:
        held = (
            model.objects.filter(status__in=[PENDING, SENDING])
            .exclude(claimed_by="")
            .values("claimed_by")
            .annotate(first=Min("claimed_at"))
        )
        for claimant in [h["claimed_by"] for h in held]:
            since = alive_since(claimant)
            if since is None:
                found.foreign_alive |= claimant.rpartition(":")[0] != socket.gethostname()
                continue
            query = model.objects.filter(status__in=[PENDING, SENDING], claimed_by=claimant)
            if since is not False:  # the pid was reused: only claims before it started
                query = query.filter(claimed_at__lt=since)
            n = _put_back(model, query, found)
            if n:
                log.warning(
                    "outbox: %s %s rows held by %s (gone) put back", n, model.__name__, claimant
                )
    return found


def sweep(stuck_after: dt.timedelta | None = None) -> Found:
    """Beat's sweeper: dead claimants' rows, rows stuck in sending longer than
    `stuck_after` (a hung worker: its later mark finds the claim gone), and pending
    rows nobody picked up (a lost broker message)."""
    if stuck_after is None:
        stuck_after = dt.timedelta(seconds=settings.REMINDER_STUCK_AFTER)
    cutoff = timezone.now() - stuck_after
    found = recover()
    for model in MODELS:
        stuck = model.objects.filter(status=SENDING, claimed_at__lt=cutoff)
        n = _put_back(model, stuck, found)
        if n:
            log.warning(
                "sweeper: %s %s rows were stuck in sending; back to pending", n, model.__name__
            )
        waiting = model.objects.filter(status=PENDING).annotate(
            touched=Coalesce("claimed_at", "created_at")
        )
        waiting = waiting.filter(touched__lt=cutoff)
        if model is Reminder:
            waiting = waiting.filter(subscription__frequency="immediate")
            found.reminders.extend(waiting.order_by("pk").values_list("pk", flat=True))
        else:
            found.emails.extend(waiting.order_by("pk").values_list("pk", flat=True))
    found.reminders = sorted(set(found.reminders))
    found.emails = sorted(set(found.emails))
    return found


def purge_sent(days: int = 30) -> int:
    """Delete OutboxEmail rows settled more than `days` ago (they hold a rendered email)."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    old = OutboxEmail.objects.filter(status__in=[SENT, FAILED, SKIPPED], created_at__lt=cutoff)
    return old.delete()[0]
