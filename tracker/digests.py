"""Weekly digests: one email with every pending reminder of a weekly subscription.

A digest claims the subscription's pending Reminder rows and hands them to the outbox
engine as one message, marked sent all together once the server accepted it. Its
Message-ID is that of its oldest row, so a digest sent again after a crash is the
same message.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils import timezone

from tracker import emails, outbox
from tracker.models import Reminder, Subscription
from tracker.reminders import PENDING, WEEKLY, claim_wanted, mark_failing


def digests_due() -> list[int]:
    """Weekly subscriptions with something pending."""
    pending = Reminder.objects.filter(subscription=OuterRef("pk"), status=PENDING)
    return list(
        Subscription.objects.active()
        .filter(frequency=WEEKLY)
        .filter(Exists(pending))
        .values_list("pk", flat=True)
    )


def send_digest(subscription_id: int) -> outbox.Outcome:
    """One email with every pending reminder of a weekly subscription."""
    me, rows = claim_wanted(Reminder.objects.filter(subscription_id=subscription_id))
    if not rows:
        return outbox.Outcome()
    sub = rows[0].subscription

    def compose():
        composer = emails.Composer()
        items = [composer.item(sub, r.change) for r in rows]
        items.sort(key=lambda i: i["change"].date, reverse=True)
        return emails.digest(sub, items, rows[0].message_id)

    delivery = outbox.Delivery([r.pk for r in rows], compose)
    outcome = outbox.send_claimed(Reminder, [delivery], me)
    mark_failing(outcome.failed)
    if outcome.sent:
        Subscription.objects.filter(pk=sub.pk).update(last_digest_at=timezone.now())
    return outcome
