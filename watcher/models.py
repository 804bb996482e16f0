"""WHETHER it is still true: the watcher's records.

Watched official pages (declared in the platforms' content files, handed over by the
content loader through `guides.hooks.watch_declared`), a Snapshot per check, a
DetectedChange per confirmed change of a page's text, and a Reverification per quote
of our evidence that disappeared from its official page. The first three moved here
from `guides` and keep their tables (`guides_*`), so no row was lost in the move.

This module imports Django only: guide pages read it (the watcher's block on a guide
page) and must not pull in `requests` or `bs4`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guides.models import Guide, Platform, PolicyChange
from watcher.outcomes import Outcome

__all__ = ["DetectedChange", "Outcome", "Reverification", "Snapshot", "WatchedPage"]


class WatchedPage(models.Model):
    """An official page the watcher fetches; declared in the platform's content file."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="watched_pages")
    url = models.URLField(max_length=500)
    title = models.CharField(max_length=200)
    select = models.JSONField(default=list)
    remove = models.JSONField(default=list)
    keywords = models.JSONField(default=list)
    js = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    # Watcher state: written by watcher/watch.py only, never by the content loader.
    spec_hash = models.CharField(
        max_length=64, blank=True, help_text=_("select/remove the stable text was made with.")
    )
    stable_hash = models.CharField(max_length=64, blank=True)
    stable_snapshot = models.ForeignKey(
        "Snapshot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_hash = models.CharField(
        max_length=64, blank=True, help_text=_("Hash of the last page read; the validators' text.")
    )
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Last time the page was read successfully.")
    )
    last_changed_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text=_("Failed checks in a row."))
    unwatchable_since = models.DateTimeField(
        null=True, blank=True, help_text=_("Editors were told the page can no longer be watched.")
    )

    class Meta:
        db_table = "guides_watchedpage"
        ordering = ["platform", "url"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "url"], name="watched_page_unique")
        ]

    def __str__(self) -> str:
        return self.url


class Snapshot(models.Model):
    """One check of a watched page: what came back, how it was classified, what it said.

    Raw HTML and text are kept when the text is not the page's stable text (a first
    load, a candidate change, a failure worth reading); a check that found the stable
    text again keeps only its hash, so months of checks cost little.
    """

    page = models.ForeignKey(WatchedPage, on_delete=models.CASCADE, related_name="snapshots")
    fetched_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.CharField(max_length=1000, blank=True)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    raw = models.TextField(blank=True, help_text=_("The body as fetched, capped."))
    text = models.TextField(blank=True, help_text=_("The watched part, normalised."))
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "guides_snapshot"
        ordering = ["-fetched_at", "-id"]
        indexes = [
            models.Index(fields=["page", "fetched_at"], name="guides_snap_page_id_cd021f_idx")
        ]

    def __str__(self) -> str:
        return f"{self.page_id} {self.fetched_at:%Y-%m-%d %H:%M} {self.outcome}"


class DetectedChange(models.Model):
    """A confirmed change of a watched page's text, waiting for an editor's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        RECORDED = "recorded", _("Recorded as policy change")
        DISMISSED = "dismissed", _("Dismissed")

    page = models.ForeignKey(WatchedPage, on_delete=models.CASCADE, related_name="detected_changes")
    old_snapshot = models.ForeignKey(
        Snapshot, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    new_snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="+")
    diff = models.TextField(help_text=_("Unified diff of the normalised text."))
    keyword_hits = models.JSONField(default=list, blank=True)
    detected_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    policy_change = models.ForeignKey(
        PolicyChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "guides_detectedchange"
        ordering = ["-detected_at", "-id"]
        indexes = [
            models.Index(fields=["status", "detected_at"], name="guides_dete_status_91a186_idx")
        ]
        constraints = [
            models.UniqueConstraint(fields=["new_snapshot"], name="detected_change_snapshot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.page.title} ({self.detected_at:%d %b %Y})"


class Reverification(models.Model):
    """A quote of our evidence that is no longer on its official page.

    Made by the watcher (watcher/evidence.py) when a page a guide's source quotes no
    longer contains the quote; closed once by an editor (watcher/review.py). While one
    is open, the guide page says the official page changed after we checked it.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Needs re-verification")
        RESOLVED = "resolved", _("Resolved")

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="+")
    page = models.ForeignKey(WatchedPage, on_delete=models.CASCADE, related_name="reverifications")
    source_id = models.CharField(max_length=100, blank=True)
    source_url = models.URLField(max_length=500)
    source_title = models.CharField(max_length=200, blank=True)
    checked_on = models.DateField(
        null=True, blank=True, help_text=_("When the quote was last read on the page.")
    )
    quote = models.TextField()
    quote_hash = models.CharField(max_length=64)
    steps = models.JSONField(
        default=list, blank=True, help_text=_("Steps whose source is this one: key and title.")
    )
    page_hash = models.CharField(
        max_length=64, help_text=_("Hash of the page text the quote was missing from.")
    )
    snapshot = models.ForeignKey(
        Snapshot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detected_change = models.ForeignKey(
        DetectedChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    diff = models.TextField(blank=True, help_text=_("What changed on the page, when known."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    detected_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, help_text=_("What the editor found."))

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["guide", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["guide", "source_url", "quote_hash"],
                condition=models.Q(status="open"),
                name="reverification_open_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.guide}: {self.quote[:60]}"
