"""The one way `guides` tells the rest of the site that a platform's policy changed.

`guides` never imports `tracker`: publishing a policy change sends
`policy_change_published` after the database commit, and `tracker` listens.
"""

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from guides.models import PolicyChange
from optout_site.cache import bump_content_stamp

# Sent with `change_id` once, after the commit that published the change.
policy_change_published = Signal()


def publish(change: PolicyChange) -> bool:
    """Publish a change exactly once; returns False when it was already published."""
    claimed = PolicyChange.objects.filter(pk=change.pk, published_at__isnull=True).update(
        published_at=timezone.now()
    )
    if not claimed:
        return False
    change_id = change.pk

    def announce() -> None:
        bump_content_stamp()  # statuses ("needs re-check") on cached pages change now
        policy_change_published.send(sender=PolicyChange, change_id=change_id)

    transaction.on_commit(announce)
    return True
