"""The content loader: `guides/content/*.yaml` -> database, idempotently.

Each file is validated against `guides.schema` first; an invalid file is reported
with its file, field and reason and nothing of it is written, while the other files
still load. A valid file whose content hash equals its platform's latest version
writes nothing. A changed file makes a new immutable `ContentVersion` and updates
guides, steps and policy changes in one transaction, and hands the `watch:` list to
the watcher through `guides.hooks.watch_declared` in that same transaction. Guides
and steps that leave a file are marked inactive (progress refers to them), never
deleted.
New policy changes are published once, which is what starts reminders.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import nh3
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import OuterRef, Subquery

from guides import hooks, schema
from guides.models import ContentVersion, Guide, Platform, PolicyChange, Step
from guides.signals import publish

log = logging.getLogger(__name__)

ALLOWED_TAGS = {"p", "strong", "em", "a", "code", "ul", "ol", "li", "br", "kbd"}


def render_markdown(text: str | None) -> str:
    if not text:
        return ""
    html = markdown.markdown(text, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer",
    )


def content_hash(platform: schema.Platform) -> str:
    canonical = json.dumps(platform.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    errors: list[schema.ContentError] = field(default_factory=list)
    published: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)


def sync(content_dir: Path | None = None, *, only: list[str] | None = None) -> SyncReport:
    """Load every content file in `content_dir`; see the module docstring."""
    content_dir = Path(content_dir or settings.CONTENT_DIR)
    report = SyncReport()
    files = sorted(content_dir.glob("*.yaml"))
    if only:
        files = [f for f in files if f.stem in only]
    seen: set[str] = set()
    # One query for every platform's latest hash, so unchanged files cost no transaction.
    latest = {
        slug: digest
        for slug, digest, active in Platform.objects.annotate(
            latest_hash=Subquery(
                ContentVersion.objects.filter(platform=OuterRef("pk"))
                .order_by("-number")
                .values("content_hash")[:1]
            )
        ).values_list("slug", "latest_hash", "active")
        if active
    }
    for path in files:
        try:
            parsed = schema.parse_file(path)
        except schema.ContentError as exc:
            report.errors.append(exc)
            seen.add(path.stem)  # a broken file is not a removed platform
            continue
        seen.add(parsed.slug)
        digest = content_hash(parsed)
        if latest.get(parsed.slug) == digest:
            report.unchanged.append(parsed.slug)
            continue
        try:
            _load_platform(parsed, digest, report)
        except DatabaseError as exc:
            # The file's transaction rolled back: nothing of it is half-written.
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            report.errors.append(schema.ContentError(path.name, "(database)", reason))
    if not only:
        gone = Platform.objects.filter(active=True).exclude(slug__in=seen)
        report.deactivated = sorted(gone.values_list("slug", flat=True))
        gone.update(active=False)
    if report.changed:
        from optout_site.cache import bump_content_stamp

        bump_content_stamp()
    return report


@transaction.atomic
def _load_platform(data: schema.Platform, digest: str, report: SyncReport) -> None:
    platform = Platform.objects.select_for_update().filter(slug=data.slug).first()
    latest = platform.versions.order_by("-number").first() if platform else None
    if latest and latest.content_hash == digest and platform.active:
        report.unchanged.append(data.slug)
        return

    fields = {
        "name": data.name,
        "category": data.category.value,
        "website": str(data.website),
        "summary": data.summary.strip(),
        "active": True,
    }
    if platform is None:
        platform = Platform.objects.create(slug=data.slug, **fields)
        report.created.append(data.slug)
    else:
        for name, value in fields.items():
            setattr(platform, name, value)
        platform.save(update_fields=list(fields))
        report.updated.append(data.slug)

    version = ContentVersion.objects.create(
        platform=platform,
        number=(latest.number + 1) if latest else 1,
        content_hash=digest,
        data=data.model_dump(mode="json"),
    )
    guides = _load_guides(platform, version, data.guides)
    _load_policy_changes(platform, data.policy_changes, guides, report)
    _load_watched_pages(platform, data.watch)


def _load_guides(
    platform: Platform, version: ContentVersion, items: list[schema.Guide]
) -> dict[str, Guide]:
    existing = {g.slug: g for g in platform.guides.all()}
    loaded: dict[str, Guide] = {}
    for position, item in enumerate(items):
        values = {
            "position": position,
            "title": item.title,
            "kind": item.kind.value,
            "summary": item.summary.strip(),
            "default_state": item.default_state or "",
            "covers": list(item.covers),
            "does_not_cover": list(item.does_not_cover),
            "regions": [str(r) for r in item.regions],
            "account_types": [a.value for a in item.account_types],
            "difficulty": item.difficulty.value,
            "minutes": item.minutes,
            "recheck_after_days": item.recheck_after_days,
            "uncertain": (item.uncertain or "").strip(),
            "who_must_act": (item.who_must_act or "").strip(),
            "request_template": item.request_template.model_dump()
            if item.request_template
            else None,
            "alternatives": list(item.alternatives),
            "sources": [s.model_dump(mode="json") for s in item.sources],
            "version": version,
            "active": True,
        }
        guide = existing.get(item.slug)
        if guide is None:
            guide = Guide.objects.create(platform=platform, slug=item.slug, **values)
        else:
            for name, value in values.items():
                setattr(guide, name, value)
            guide.save(update_fields=list(values))
        _load_steps(guide, item.steps)
        loaded[item.slug] = guide
    platform.guides.exclude(slug__in=loaded).update(active=False)
    return loaded


def _load_steps(guide: Guide, items: list[schema.Step]) -> None:
    existing = {s.key: s for s in guide.steps.all()}
    for position, item in enumerate(items):
        values = {
            "position": position,
            "title": item.title,
            "role": item.role.value,
            "body": (item.body or "").strip(),
            "body_html": render_markdown(item.body),
            "path": list(item.path),
            "link": str(item.link) if item.link else "",
            "end_state": item.end_state or "",
            "variants": [v.model_dump() for v in item.variants],
            "active": True,
        }
        step = existing.get(item.key)
        if step is None:
            Step.objects.create(guide=guide, key=item.key, **values)
        else:
            for name, value in values.items():
                setattr(step, name, value)
            step.save(update_fields=list(values))
    guide.steps.exclude(key__in=[i.key for i in items]).update(active=False)


def _load_policy_changes(
    platform: Platform,
    items: list[schema.PolicyChange],
    guides: dict[str, Guide],
    report: SyncReport,
) -> None:
    for item in items:
        change, created = PolicyChange.objects.update_or_create(
            platform=platform,
            date=item.date,
            title=item.title,
            defaults={
                "summary": item.summary.strip(),
                "source": str(item.source) if item.source else "",
                "from_content": True,
            },
        )
        change.affects.set([guides[slug] for slug in item.affects])
        if created and publish(change):
            report.published.append(change.pk)


def _load_watched_pages(platform: Platform, items: list[schema.WatchedPage]) -> None:
    """Hand the `watch:` declarations to whoever watches pages (the watcher app)."""
    for hook in hooks.watch_declared:
        hook(platform, items)
