"""An editor's decisions on the watcher's review queues: record a detected change as a
policy change, or dismiss it; resolve a re-verification item.

Recording turns a DetectedChange into a PolicyChange and publishes it
(guides.signals.publish), which is what starts the reminders. Both decisions claim
the pending row with a conditional update, so a double click or two editors at once
make one decision, and a second "record" publishes nothing. Resolving a
re-verification item is the same kind of decision (open -> resolved, once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from guides.models import Guide, PolicyChange
from guides.signals import publish
from watcher.models import DetectedChange, Reverification

SUMMARY_LINES = 6


def suggested_title(change: DetectedChange) -> str:
    return f"{change.page.title} updated"[:200]


def suggested_summary(change: DetectedChange) -> str:
    """A first draft for the editor: what the page said before and says now."""
    lines = change.diff.splitlines()[2:]
    removed = [ln[1:].strip() for ln in lines if ln.startswith("-") and ln[1:].strip()]
    added = [ln[1:].strip() for ln in lines if ln.startswith("+") and ln[1:].strip()]
    parts = [f'{change.page.platform.name} changed its page "{change.page.title}".']
    if added:
        parts.append("It now says: " + " / ".join(added[:SUMMARY_LINES]))
    if removed:
        parts.append("It no longer says: " + " / ".join(removed[:SUMMARY_LINES]))
    return "\n".join(parts)[:2000]


def record(
    change: DetectedChange,
    *,
    user,
    title: str,
    date: dt.date,
    summary: str,
    affects: Iterable[Guide],
    source: str = "",
) -> PolicyChange | None:
    """Make and publish the PolicyChange; None when the change was already decided.

    Raises django.db.IntegrityError when the platform already has a policy change with
    that date and title (nothing is written then).
    """
    with transaction.atomic():
        claimed = DetectedChange.objects.filter(
            pk=change.pk, status=DetectedChange.Status.PENDING
        ).update(
            status=DetectedChange.Status.RECORDED, reviewed_by=user, reviewed_at=timezone.now()
        )
        if not claimed:
            return None
        policy = PolicyChange.objects.create(
            platform_id=change.page.platform_id,
            date=date,
            title=title,
            summary=summary,
            source=source or change.page.url,
        )
        policy.affects.set(list(affects))
        DetectedChange.objects.filter(pk=change.pk).update(policy_change=policy)
        publish(policy)
    return policy


def dismiss(change_ids: Iterable[int], *, user) -> int:
    """Dismiss the pending ones among `change_ids`; returns how many were dismissed."""
    return DetectedChange.objects.filter(
        pk__in=list(change_ids), status=DetectedChange.Status.PENDING
    ).update(status=DetectedChange.Status.DISMISSED, reviewed_by=user, reviewed_at=timezone.now())


def resolve(item_ids: Iterable[int], *, user, note: str = "") -> int:
    """Close the open re-verification items among `item_ids`; returns how many closed.

    The editor has read the official page again and updated the guide's source (quote,
    `checked_on`) or its steps in the content file; this records that it was done.
    """
    closed = Reverification.objects.filter(
        pk__in=list(item_ids), status=Reverification.Status.OPEN
    ).update(
        status=Reverification.Status.RESOLVED,
        resolved_by=user,
        resolved_at=timezone.now(),
        note=note[:2000],
    )
    if closed:
        transaction.on_commit(_bump_pages)
    return closed


def _bump_pages() -> None:
    from optout_site.cache import bump_content_stamp

    bump_content_stamp()
