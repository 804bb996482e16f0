"""WHAT to do: platforms, their opt-out guides and steps, content versions, policy changes.

Rows here are written by the content loader (`guides/loader.py`) from the YAML files
in `guides/content/`, never edited by hand except policy changes, which editors may
also add in the admin. Guides and steps are never deleted when they leave the files:
they are marked inactive, because people's progress refers to them.
"""

from __future__ import annotations

from django.db import models
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guides import evidence, schema

LABELS = {
    schema.Category.SOCIAL: _("Social"),
    schema.Category.AI_ASSISTANT: _("AI assistant"),
    schema.Category.CREATIVE: _("Creative"),
    schema.Category.PRODUCTIVITY: _("Productivity"),
    schema.Category.PUBLISHING: _("Publishing"),
    schema.Category.COMMUNITY: _("Community"),
    schema.Category.LEARNING: _("Learning"),
    schema.Category.SHOPPING: _("Shopping"),
    schema.Category.DEVICES: _("Devices"),
    schema.Kind.SETTING: _("Setting"),
    schema.Kind.FORM: _("Form"),
    schema.Kind.EMAIL: _("Email"),
    schema.Kind.ADMIN_ONLY: _("Admin-only"),
    schema.Kind.NO_OPT_OUT: _("No opt-out"),
    schema.Difficulty.EASY: _("Easy"),
    schema.Difficulty.MEDIUM: _("Medium"),
    schema.Difficulty.HARD: _("Hard"),
    schema.Role.DO: _("Do"),
    schema.Role.OPTIONAL: _("Optional"),
    schema.Role.LATER: _("Later"),
}


def choices(enum: type) -> list[tuple[str, str]]:
    """Choices for a schema enum, with translatable labels."""
    return [(m.value, LABELS[m]) for m in enum]


class Platform(models.Model):
    slug = models.SlugField(unique=True, max_length=60)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=30, choices=choices(schema.Category))
    website = models.URLField()
    summary = models.TextField()
    aliases = models.JSONField(default=list, blank=True)
    official_domains = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("guides:platform", args=[self.slug])


class ContentVersion(models.Model):
    """One immutable load of a platform's content file; old versions stay readable."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["platform", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "number"], name="version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.platform.slug} v{self.number}"


class Guide(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="guides")
    slug = models.SlugField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=choices(schema.Kind))
    summary = models.TextField()
    default_state = models.CharField(max_length=200, blank=True)
    covers = models.JSONField(default=list)
    does_not_cover = models.JSONField(default=list)
    regions = models.JSONField(default=list)
    account_types = models.JSONField(default=list)
    difficulty = models.CharField(max_length=10, choices=choices(schema.Difficulty))
    minutes = models.PositiveIntegerField()
    recheck_after_days = models.PositiveIntegerField(null=True, blank=True)
    uncertain = models.TextField(blank=True)
    who_must_act = models.TextField(blank=True)
    request_template = models.JSONField(null=True, blank=True)
    alternatives = models.JSONField(default=list)
    sources = models.JSONField(default=list)
    deep_link_reason = models.TextField(
        blank=True, help_text=_("Why the setting has no deep link (deep_link: none).")
    )
    requests = models.JSONField(default=list, blank=True, help_text=_("Letters (request routes)."))
    version = models.ForeignKey(ContentVersion, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["platform__name", "position"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "slug"], name="guide_slug_unique")
        ]

    def __str__(self) -> str:
        return f"{self.platform.name}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("guides:guide", args=[self.platform.slug, self.slug])

    @property
    def applies_everywhere(self) -> bool:
        return schema.ALL_REGIONS in self.regions

    def applies_in(self, region: str | None) -> bool | None:
        """True/False for a chosen region; None when the person has not chosen one."""
        if not region:
            return None
        return self.applies_everywhere or region in self.regions

    @property
    def has_steps(self) -> bool:
        return self.kind != schema.Kind.NO_OPT_OUT

    @property
    def confidence(self) -> str:
        """Derived from the sources' quotes (guides.evidence), never typed."""
        return evidence.confidence(self.kind, self.sources)

    @property
    def unconfirmed_facts(self) -> list[str]:
        return evidence.unconfirmed_facts(self.kind, self.sources)


class Step(models.Model):
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(max_length=60)
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    role = models.CharField(
        max_length=10, choices=choices(schema.Role), default=schema.Role.DO.value
    )
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    path = models.JSONField(default=list)
    link = models.URLField(blank=True, max_length=500)
    end_state = models.CharField(max_length=200, blank=True)
    variants = models.JSONField(default=list)
    source = models.SlugField(
        max_length=60, blank=True, help_text=_("Id of the guide source backing label and path.")
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["guide", "position"]
        constraints = [models.UniqueConstraint(fields=["guide", "key"], name="step_key_unique")]

    def __str__(self) -> str:
        return f"{self.guide.slug}/{self.key}"

    @property
    def counts(self) -> bool:
        """A `do` step: the guide is done when every one of these is ticked."""
        return self.role == schema.Role.DO

    @property
    def is_later(self) -> bool:
        return self.role == schema.Role.LATER


class PolicyChange(models.Model):
    """A dated change of a platform's policy. Publishing one is what starts reminders."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="policy_changes")
    date = models.DateField()
    title = models.CharField(max_length=200)
    summary = models.TextField()
    source = models.URLField(blank=True, max_length=500)
    quote = models.JSONField(default=list, blank=True)
    checked_on = models.DateField(null=True, blank=True)
    affects = models.ManyToManyField(Guide, related_name="policy_changes", blank=True)
    from_content = models.BooleanField(
        default=False, help_text=_("Loaded from the platform's content file.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "date", "title"], name="policy_change_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%d %b %Y}: {self.title}"


class Source(models.Model):
    """One source of a guide, as the content file states it: a row per source so editors
    can list evidence by age (the admin's re-check list). Written by the loader, which
    replaces a guide's rows on each load; the page and the API read `Guide.sources`."""

    class Kind(models.TextChoices):
        OFFICIAL = "official", _("Official")
        PRESS = "press", _("Press")
        REGULATOR = "regulator", _("Regulator")

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="source_rows")
    position = models.PositiveIntegerField(default=0)
    source_id = models.SlugField(max_length=60)
    url = models.URLField(max_length=500)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    publisher = models.CharField(max_length=200, blank=True)
    quote = models.JSONField(default=list, blank=True)
    checked_on = models.DateField(null=True, blank=True)
    supports = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["checked_on", "guide", "position"]
        constraints = [
            models.UniqueConstraint(fields=["guide", "source_id"], name="source_id_unique")
        ]
        indexes = [models.Index(fields=["checked_on"])]

    def __str__(self) -> str:
        return f"{self.guide.slug}/{self.source_id}"


class Deadline(models.Model):
    """A dated deadline on a platform (training starts, a window closes), from content.

    `key` is stable, so calendar events keep their UID; `sequence` goes up whenever
    what a calendar shows of it changes (guides/deadlines.py keeps both)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="deadlines")
    key = models.SlugField(max_length=60)
    date = models.DateField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)
    affects = models.JSONField(default=list, blank=True)
    source = models.URLField(max_length=500)
    quote = models.JSONField(default=list, blank=True)
    checked_on = models.DateField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64)
    sequence = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["date", "platform", "key"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "key"], name="deadline_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date:%d %b %Y}: {self.title}"


def live_guide(platform_slug: str, guide_slug: str, queryset=None) -> Guide:
    """The active guide of an active platform by its slugs, or a 404: the one lookup
    every page about a guide (guide page, letters, report a problem) uses."""
    queryset = queryset if queryset is not None else Guide.objects.select_related("platform")
    return get_object_or_404(
        queryset,
        platform__slug=platform_slug,
        platform__active=True,
        slug=guide_slug,
        active=True,
    )
