"""Subscriptions to policy-change reminders: asking, confirming, changing, leaving.

Double opt-in: a subscription receives nothing but its confirmation email until a
single-use link is confirmed (GET shows a button, POST confirms). Asking never
reveals whether an address is already subscribed: a confirmed address is sent a
link to its preferences instead of a new confirmation, and the person asking sees
the same page either way. Links in reminders carry the subscription's random token,
signed per use (tracker.emails.signed_token). Confirmation links are
tracker/email_links.py's; rate limits are tracker/ratelimit.py's (the view limits
each client, this module each address).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from guides.models import Platform
from tracker import email_links, emails, ratelimit
from tracker.email_links import InvalidLink
from tracker.models import EmailToken, Reminder, Subscription, Visitor

log = logging.getLogger(__name__)


def normalise(email: str) -> str:
    return email.strip().lower()


def request_subscription(
    email: str,
    platforms: list[Platform],
    frequency: str,
    recheck_nudges: bool,
    visitor: Visitor | None,
) -> None:
    """Record what was asked and email the address; the caller learns nothing more.

    A new or unconfirmed (or unsubscribed) address takes the requested preferences
    and gets a confirmation link. A confirmed address keeps its preferences (a
    stranger must not be able to change them) and gets a link to manage them.
    Raises the mailer's error when the email cannot be sent.
    """
    email = normalise(email)
    if not ratelimit.address_allowed(email, ratelimit.subscribe_per_address()):
        log.info("subscription email rate limit reached for one address")
        return
    with transaction.atomic():
        sub, _ = Subscription.objects.select_for_update().get_or_create(
            email=email, defaults={"frequency": frequency, "recheck_nudges": recheck_nudges}
        )
        if sub.active:
            message = emails.already_subscribed(sub)
        else:
            sub.frequency, sub.recheck_nudges = frequency, recheck_nudges
            sub.visitor = visitor or sub.visitor
            sub.save(update_fields=["frequency", "recheck_nudges", "visitor"])
            sub.platforms.set(platforms)
            raw = email_links.issue(
                EmailToken.Purpose.CONFIRM,
                email,
                lifetime=dt.timedelta(hours=settings.REMINDER_CONFIRM_HOURS),
                subscription=sub,
            )
            url = emails.absolute(reverse("tracker:confirm", args=[raw]))
            message = emails.confirm_subscription(sub, url)
    message.send()


def check_confirm_link(raw: str) -> EmailToken:
    """The live confirmation token for a link, or a LinkError saying why not."""
    return email_links.find(EmailToken.Purpose.CONFIRM, raw)


def confirm(raw: str, visitor: Visitor | None) -> Subscription:
    """Use a confirmation link once: the subscription becomes active.

    The person confirming in a browser where they track progress links that
    progress to the subscription (their reminders then show their status).
    """
    now = timezone.now()
    with transaction.atomic():
        token = email_links.claim(EmailToken.Purpose.CONFIRM, raw)
        # Any other link sent for this subscription is spent too.
        EmailToken.objects.filter(subscription=token.subscription, used_at__isnull=True).update(
            used_at=now
        )
        sub = token.subscription
        sub.confirmed_at, sub.unsubscribed_at, sub.failing_since = now, None, None
        sub.visitor = visitor or sub.visitor
        sub.save(update_fields=["confirmed_at", "unsubscribed_at", "failing_since", "visitor"])
    return sub


def from_link(value: str, salt: str) -> Subscription:
    """The subscription a signed link token names, or InvalidLink."""
    try:
        raw = signing.Signer(salt=salt).unsign(value)
    except signing.BadSignature:
        raise InvalidLink from None
    sub = Subscription.objects.filter(token=raw).first()
    if sub is None:
        raise InvalidLink
    return sub


def unsubscribe(sub: Subscription) -> None:
    """Stop all email to this subscription; idempotent. Unsent reminders are skipped."""
    now = timezone.now()
    Subscription.objects.filter(pk=sub.pk, unsubscribed_at__isnull=True).update(unsubscribed_at=now)
    Reminder.objects.filter(subscription=sub, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.SKIPPED
    )


def update_preferences(
    sub: Subscription, platforms: list[Platform], frequency: str, recheck_nudges: bool
) -> None:
    sub.frequency, sub.recheck_nudges = frequency, recheck_nudges
    sub.save(update_fields=["frequency", "recheck_nudges"])
    sub.platforms.set(platforms)


def delete(sub: Subscription) -> None:
    """Forget the subscription, its reminders and its links."""
    sub.delete()


def purge_stale_links() -> int:
    """Delete spent or expired confirmation tokens, and unconfirmed subscriptions whose
    every link expired over a week ago (nobody ever confirmed them)."""
    now = timezone.now()
    EmailToken.objects.filter(purpose=EmailToken.Purpose.CONFIRM).filter(
        Q(used_at__isnull=False) | Q(expires_at__lt=now)
    ).delete()
    stale = Subscription.objects.filter(
        confirmed_at__isnull=True, created_at__lt=now - dt.timedelta(days=7)
    ).exclude(pk__in=EmailToken.objects.filter(subscription__isnull=False).values("subscription"))
    return stale.delete()[0]
