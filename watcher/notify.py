"""Emails to staff from the policy watcher: a change to review, a page we lost sight of,
quotes of our evidence that left a page.

One tiny function per kind of email; each renders templates/emails/<name>-subject.txt,
-body.txt and -body.html and sends one message to every active staff user with an
email address, through the default mailer (Django 6.1 MAILERS). They run after the
commit that queued the work; a mail failure is logged and never undoes the check,
because the review queue in the admin is the truth and the email only a wake-up call.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from optout_site.emails import make_message
from watcher.models import DetectedChange, Reverification, WatchedPage

log = logging.getLogger(__name__)


def staff_emails() -> list[str]:
    users = get_user_model().objects.filter(is_staff=True, is_active=True)
    return sorted({e for e in users.values_list("email", flat=True) if e})


def _send(name: str, context: dict) -> int:
    to = staff_emails()
    if not to:
        log.warning("watcher: no staff email address to send %s to", name)
        return 0
    try:
        return make_message(name, to, context).send(using="default")
    except Exception:  # noqa: BLE001 - the admin queue still holds the work
        log.exception("watcher: could not send %s", name)
        return 0


def change_detected(change_id: int) -> int:
    """Tell staff a confirmed change is waiting in the review queue."""
    change = DetectedChange.objects.select_related("page__platform").filter(pk=change_id).first()
    if change is None:
        return 0
    path = reverse("admin:watcher_detectedchange_change", args=[change.pk])
    return _send(
        "watch-change",
        {"change": change, "page": change.page, "review_url": settings.SITE_URL + path},
    )


def page_unwatchable(page_id: int) -> int:
    """Tell staff a page failed too many checks in a row to be watched any more."""
    page = WatchedPage.objects.select_related("platform").filter(pk=page_id).first()
    if page is None or not page.unwatchable_since:
        return 0
    recent = list(page.snapshots.order_by("-fetched_at", "-pk")[: page.failures or 1])
    path = reverse("admin:watcher_watchedpage_change", args=[page.pk])
    return _send(
        "watch-unwatchable",
        {"page": page, "recent": recent, "page_url": settings.SITE_URL + path},
    )


def reverification_opened(item_ids: list[int]) -> int:
    """Tell staff that quotes our guides rest on left one watched page."""
    items = list(
        Reverification.objects.filter(pk__in=item_ids, status=Reverification.Status.OPEN)
        .select_related("guide__platform", "page__platform")
        .order_by("pk")
    )
    if not items:
        return 0
    path = reverse("admin:watcher_reverification_changelist")
    return _send(
        "watch-reverify",
        {"page": items[0].page, "items": items, "queue_url": settings.SITE_URL + path},
    )
