"""Re-check nudges: remind people to look again at finished guides whose setting is
known to revert (`recheck_after_days`).

Moving `last_nudge_at` forward with a conditional UPDATE decides a nudge once; in the
same transaction the message is put in the outbox (tracker/outbox.py) under a key
naming that decision, and sent like every other bulk email: at least once, with one
Message-ID, retried on temporary trouble.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from guides.models import Guide
from tracker import emails, outbox
from tracker.models import Subscription
from tracker.progress import Status, states_for

log = logging.getLogger(__name__)


def nudge_candidates() -> list[int]:
    """Active subscriptions that asked for nudges and follow a platform with a guide
    known to revert (the per-subscription task works out what is due)."""
    reverting = Guide.objects.filter(
        platform_id=OuterRef("platforms"), active=True, recheck_after_days__isnull=False
    )
    return list(
        Subscription.objects.active()
        .filter(recheck_nudges=True, visitor__isnull=False)
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


def queue_recheck_nudge(subscription_id: int) -> int | None:
    """Decide the nudge that fell due and put it in the outbox; its OutboxEmail id."""
    sub = (
        Subscription.objects.filter(pk=subscription_id, recheck_nudges=True)
        .select_related("visitor")
        .first()
    )
    if sub is None or not sub.active:
        return None
    now = timezone.now()
    due = rechecks_due(sub, now)
    if not due:
        return None
    with transaction.atomic():
        won = Subscription.objects.filter(pk=sub.pk, last_nudge_at=sub.last_nudge_at)
        if sub.last_nudge_at is None:
            won = Subscription.objects.filter(pk=sub.pk, last_nudge_at__isnull=True)
        if not won.update(last_nudge_at=now):
            return None  # another run decided it
        row = outbox.put(
            f"nudge:{sub.pk}:{now.isoformat()}", emails.recheck_nudge(sub, due), wake=False
        )
    return row.pk if row else None


def send_recheck_nudge(subscription_id: int) -> outbox.Outcome:
    """Queue the nudge that is due, then send it at once (this task is its wake-up)."""
    email_id = queue_recheck_nudge(subscription_id)
    if email_id is None:
        return outbox.Outcome()
    return outbox.send_emails([email_id])
