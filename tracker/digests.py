"""Weekly digests and re-check nudges: the periodic emails of the reminder outbox.

Digests claim a weekly subscription's pending Reminder rows and send them as one
email, marked sent all together (tracker.reminders has the claiming and sending).
Nudges remind people who asked for them to re-check finished guides whose setting is
known to revert (`recheck_after_days`); moving `last_nudge_at` forward is the claim.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.core.mail import mailers
from django.db.models import Exists, OuterRef
from django.utils import timezone

from guides.models import Guide
from tracker import emails
from tracker.emails import LostClaim
from tracker.models import Reminder, Subscription
from tracker.progress import Status, states_for
from tracker.reminders import (
    CONNECTION_ERRORS,
    PENDING,
    SKIPPED,
    WEEKLY,
    Composer,
    Outcome,
    claim_rows,
    close_quietly,
    deliver,
    settle,
    split_wanted,
)

log = logging.getLogger(__name__)


def digests_due() -> list[int]:
    """Weekly subscriptions with something pending."""
    pending = Reminder.objects.filter(subscription=OuterRef("pk"), status=PENDING)
    return list(
        Subscription.objects.filter(
            frequency=WEEKLY,
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
            failing_since__isnull=True,
        )
        .filter(Exists(pending))
        .values_list("pk", flat=True)
    )


def send_digest(subscription_id: int) -> Outcome:
    """One email with every pending reminder of a weekly subscription."""
    outcome = Outcome()
    claim = timezone.now()
    rows = claim_rows(Reminder.objects.filter(subscription_id=subscription_id), claim)
    rows, skip = split_wanted(rows)
    settle(skip, claim, SKIPPED)
    if not rows:
        return outcome
    sub = rows[0].subscription
    composer = Composer()
    items = sorted(
        (composer.item(sub, r.change) for r in rows), key=lambda i: i["change"].date, reverse=True
    )
    message = emails.digest(sub, items, f"digest-{sub.pk}-{rows[0].pk}")
    try:
        backend = mailers.default
        backend.open()
    except CONNECTION_ERRORS as exc:
        settle([r.pk for r in rows], claim, PENDING, f"connection: {exc}")
        outcome.retry.extend(r.pk for r in rows)
        return outcome
    try:
        deliver(backend, message, rows, claim, outcome)
    finally:
        close_quietly(backend)
    if outcome.sent:
        Subscription.objects.filter(pk=sub.pk).update(last_digest_at=timezone.now())
    return outcome


# --- re-check nudges ----------------------------------------------------------------------


def nudge_candidates() -> list[int]:
    """Active subscriptions that asked for nudges and follow a platform with a guide
    known to revert (the per-subscription task works out what is due)."""
    reverting = Guide.objects.filter(
        platform_id=OuterRef("platforms"), active=True, recheck_after_days__isnull=False
    )
    return list(
        Subscription.objects.filter(
            recheck_nudges=True,
            visitor__isnull=False,
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
            failing_since__isnull=True,
        )
        .filter(Exists(reverting))
        .values_list("pk", flat=True)
        .distinct()
    )


def rechecks_due(sub: Subscription, now: dt.datetime) -> list[dict]:
    """Guides this person finished whose re-check date passed since their last nudge."""
    if sub.visitor is None:
        return []
    guides = list(
        Guide.objects.filter(
            platform__in=sub.platforms.all(), active=True, recheck_after_days__isnull=False
        ).select_related("platform")
    )
    v = sub.visitor
    states = states_for(v, guides, region=v.region or None, account_type=v.account_type)
    due = []
    for guide in guides:
        state = states[guide.pk]
        if state.status != Status.DONE or state.finished_at is None:
            continue
        due_at = state.finished_at + dt.timedelta(days=guide.recheck_after_days)
        if due_at <= now and (sub.last_nudge_at is None or due_at > sub.last_nudge_at):
            url = emails.absolute(guide.get_absolute_url())
            due.append({"guide": guide, "url": url, "finished_at": state.finished_at})
    return due


def send_recheck_nudge(subscription_id: int) -> Outcome:
    """Email the re-checks that fell due; the claim is moving last_nudge_at forward."""
    outcome = Outcome()
    sub = (
        Subscription.objects.filter(pk=subscription_id, recheck_nudges=True)
        .select_related("visitor")
        .first()
    )
    if sub is None or not sub.active:
        return outcome
    now = timezone.now()
    due = rechecks_due(sub, now)
    if not due:
        return outcome
    before = sub.last_nudge_at
    message = emails.recheck_nudge(sub, due, f"nudge-{sub.pk}-{now:%Y%m%d%H%M%S}")

    def claim() -> bool:
        return bool(
            Subscription.objects.filter(pk=sub.pk, last_nudge_at=before).update(last_nudge_at=now)
            if before
            else Subscription.objects.filter(pk=sub.pk, last_nudge_at__isnull=True).update(
                last_nudge_at=now
            )
        )

    try:
        backend = mailers.default
        backend.open()
        try:
            emails.send_committing(backend, message, claim)
        finally:
            close_quietly(backend)
    except LostClaim:
        return outcome
    except (*CONNECTION_ERRORS, smtplib.SMTPException) as exc:
        # Undo our claim so the next run tries again.
        Subscription.objects.filter(pk=sub.pk, last_nudge_at=now).update(last_nudge_at=before)
        outcome.retry.append(sub.pk)
        log.warning("re-check nudge for subscription %s not sent: %s", sub.pk, exc)
        return outcome
    outcome.sent = 1
    return outcome
