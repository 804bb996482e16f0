"""What the tracker's emails say: one small function per kind, and the reminder composer.

Each renders templates/emails/<name>-*.txt/.html through optout_site.emails.make_message.
Bulk messages (reminders, digests, nudges) carry RFC 8058 one-click unsubscribe
headers and the Message-ID fixed on their outbox row. How they are queued and sent
is tracker/outbox.py's business.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from guides.models import Guide, PolicyChange
from optout_site.emails import absolute, make_message
from tracker.models import Subscription
from tracker.progress import Status, states_for

UNSUBSCRIBE_SALT = "tracker.unsubscribe"
MANAGE_SALT = "tracker.manage"


def signed_token(subscription: Subscription, salt: str) -> str:
    """An opaque link token: the subscription's random token, signed for this use."""
    return signing.Signer(salt=salt).sign(subscription.token)


def unsubscribe_url(subscription: Subscription) -> str:
    token = signed_token(subscription, UNSUBSCRIBE_SALT)
    return absolute(reverse("tracker:unsubscribe", args=[token]))


def manage_url(subscription: Subscription) -> str:
    return absolute(reverse("tracker:manage", args=[signed_token(subscription, MANAGE_SALT)]))


def _bulk_headers(subscription: Subscription, message_id: str | None) -> dict:
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url(subscription)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    if message_id:  # fixed on the outbox row: a resend is the same message
        headers["Message-ID"] = message_id
    return headers


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


def policy_change(
    subscription: Subscription, item: dict, message_id: str
) -> EmailMultiAlternatives:
    """One change: `item` is {"change", "platform", "guides": [{"guide", "url", "status"}]}."""
    ctx = {**_bulk_ctx(subscription), "item": item}
    return make_message(
        "policy-change", subscription.email, ctx, headers=_bulk_headers(subscription, message_id)
    )


def digest(
    subscription: Subscription, items: list[dict], message_id: str
) -> EmailMultiAlternatives:
    ctx = {**_bulk_ctx(subscription), "items": items}
    return make_message(
        "digest", subscription.email, ctx, headers=_bulk_headers(subscription, message_id)
    )


def recheck_nudge(
    subscription: Subscription, due: list[dict], message_id: str | None = None
) -> EmailMultiAlternatives:
    """`due` is [{"guide", "url", "finished_at", "days"}]."""
    ctx = {**_bulk_ctx(subscription), "due": due}
    return make_message(
        "recheck-nudge", subscription.email, ctx, headers=_bulk_headers(subscription, message_id)
    )


class Composer:
    """Builds what a reminder says, caching each change's guides across a batch."""

    def __init__(self) -> None:
        self._guides: dict[int, list[Guide]] = {}

    def guides_for(self, change: PolicyChange) -> list[Guide]:
        if change.pk not in self._guides:
            guides = list(change.affects.filter(active=True).select_related("platform"))
            if not guides:  # a platform-wide change: every route is worth a look
                guides = list(
                    Guide.objects.filter(platform_id=change.platform_id, active=True)
                    .select_related("platform")
                    .order_by("position")
                )
            self._guides[change.pk] = guides
        return self._guides[change.pk]

    def item(self, sub: Subscription, change: PolicyChange) -> dict:
        guides = self.guides_for(change)
        states = {}
        if sub.visitor_id:
            v = sub.visitor
            states = states_for(v, guides, region=v.region or None, account_type=v.account_type)
        rows = []
        for guide in guides:
            state = states.get(guide.pk)
            rows.append(
                {
                    "guide": guide,
                    "url": absolute(guide.get_absolute_url()),
                    "status": state.status.label if state else "Not tracked",
                    "percent": state.percent if state else None,
                    "act": state is None or state.status in (Status.DONE, Status.NEEDS_RECHECK),
                }
            )
        return {"change": change, "platform": change.platform, "guides": rows}
