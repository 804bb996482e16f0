"""`Outcome`: how one check of a watched page ended (`watcher.models.Outcome` too).

A TextChoices in a module of its own, because the fetcher and the extractor use it and
stay free of Django's settings and models (they run and are tested without them).
"""

from django.db.models import TextChoices


class Outcome(TextChoices):
    """How one check of a watched page ended; only OK is a candidate for a change."""

    OK = "ok", "ok"
    NOT_MODIFIED = "not_modified", "not_modified"
    BLOCKED = "blocked", "blocked"
    CHALLENGE = "challenge", "challenge"
    EMPTY = "empty", "empty"
    NOT_HTML = "not_html", "not_html"
    TOO_LARGE = "too_large", "too_large"
    REDIRECTED_OFFSITE = "redirected_offsite", "redirected_offsite"
    REFUSED = "refused", "refused"  # the perimeter: not https, or not a public address
    ERROR = "error", "error"
    SELECTOR_MISSING = "selector_missing", "selector_missing"  # set by extraction
