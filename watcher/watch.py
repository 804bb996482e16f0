"""The policy watcher: check one watched page and decide whether it really changed.

`check_page(page_id)` fetches the page (watcher/fetch.py; pages declared `js: true`
rendered by headless Chromium, watcher/render.py), extracts the watched part
(watcher/extract.py), stores a Snapshot and compares its hash with the page's stable hash.
Nothing here cries wolf:

- A failed fetch (blocked, challenge, empty, selector missing, error, ...) is never a
  change. Failures in a row are counted; after `WATCH_ALERT_AFTER` the editors are
  told once that the page can no longer be watched. A successful read resets that.
- A new hash is fetched again at once; only the same hash twice is a change.
- A hash seen in the last `WATCH_FLIP_DAYS` that was followed by the stable hash again
  (a page alternating between two versions) is not a change.
- When a page's `select`/`remove` declarations change, the next read becomes the new
  baseline silently: editing the declarations is a technical change, never an alert.
- A 304 answer to the stored validators means "the text we read last time"; when that
  is the stable text, nothing is parsed.

A confirmed change moves the stable hash (a conditional update, so two concurrent
checks make one DetectedChange) and lands in the admin review queue; staff are emailed
after the commit (watcher/notify.py).

After every check that read the page's stable text, the quotes our guides' sources
take from this page are looked for in it (watcher/evidence.py): a missing one opens a
re-verification item for the editors.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from soupsieve import SelectorSyntaxError

from watcher import evidence, notify
from watcher.diff import keyword_hits, unified_diff
from watcher.extract import extract
from watcher.fetch import FetchResult, HostThrottle, fetch
from watcher.models import DetectedChange, Outcome, Snapshot, WatchedPage
from watcher.perimeter import Perimeter
from watcher.render import renderer_from_settings

log = logging.getLogger(__name__)

READ = frozenset({Outcome.OK, Outcome.NOT_MODIFIED})
RAW_CAP = 512 * 1024  # characters of a body kept in a snapshot
FAILURE_RAW_CAP = 16 * 1024  # enough to see what a bot wall said


class Verdict(StrEnum):
    """What one check concluded; only CHANGED puts something in the review queue."""

    BASELINE = "baseline"  # first read, or read after the declarations changed
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    FLIP = "flip"  # a recently seen version came back: not a change
    UNCONFIRMED = "unconfirmed"  # the refetch did not show the new text again
    FAILED = "failed"


@dataclass(frozen=True)
class CheckResult:
    page_id: int
    verdict: Verdict
    outcome: Outcome
    change_id: int | None = None
    error: str = ""


@dataclass(frozen=True)
class _Read:
    """One fetch plus extraction, before anything is stored."""

    result: FetchResult
    outcome: Outcome
    text: str = ""
    hash: str = ""
    error: str = ""


_throttles: dict[float, HostThrottle] = {}
_perimeters: dict[tuple[str, ...], Perimeter] = {}


def _default_fetch_options() -> dict[str, Any]:
    delay = float(settings.WATCH_HOST_DELAY)
    origins = tuple(settings.WATCH_ALLOWED_TEST_ORIGINS)
    return {
        "throttle": _throttles.setdefault(delay, HostThrottle(delay)),
        "timeout": float(settings.WATCH_TIMEOUT),
        "max_bytes": int(settings.WATCH_MAX_BYTES),
        "backoff": float(settings.WATCH_BACKOFF),
        "perimeter": _perimeters.setdefault(origins, Perimeter.for_origins(origins)),
    }


def spec_hash(page: WatchedPage) -> str:
    """Fingerprint of the declarations that shape the extracted text."""
    spec = {"select": list(page.select or ["main"]), "remove": list(page.remove)}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


def check_page(page_id: int, **fetch_options: Any) -> CheckResult | None:
    """Check one watched page once; None when the page is gone or inactive.

    Idempotent: running it again only checks again. `fetch_options` go to
    watcher.fetch.fetch (tests pass `throttle=HostThrottle(0), backoff=0`).
    """
    page = WatchedPage.objects.filter(pk=page_id, active=True).select_related("platform").first()
    if page is None:
        return None
    options = _default_fetch_options() | fetch_options
    spec = spec_hash(page)
    rebase = not page.stable_hash or page.spec_hash != spec
    conditional = not rebase and bool(page.last_hash)
    first = _read(page, options, conditional=conditional)
    if first.outcome is Outcome.NOT_MODIFIED:
        if page.last_hash == page.stable_hash:
            _save(page, first, page.last_hash)
            _mark_read(page, first.result)
            stable = page.stable_snapshot
            if stable is not None and stable.text:
                evidence.check_quotes(page, stable.text, page.stable_hash, snapshot=stable)
            return CheckResult(page.pk, Verdict.UNCHANGED, Outcome.NOT_MODIFIED)
        # The validators describe a version we never settled on: read it in full.
        first = _read(page, options, conditional=False)
    if first.outcome not in READ:
        return _failed(page, first)

    snapshot = _save(page, first, first.hash, keep=rebase or first.hash != page.stable_hash)
    _mark_read(page, first.result, first.hash)
    if rebase:
        page.spec_hash, page.stable_hash, page.stable_snapshot = spec, first.hash, snapshot
        page.save(update_fields=["spec_hash", "stable_hash", "stable_snapshot"])
        evidence.check_quotes(page, first.text, first.hash, snapshot=snapshot)
        return CheckResult(page.pk, Verdict.BASELINE, first.outcome)
    if first.hash == page.stable_hash:
        evidence.check_quotes(page, first.text, first.hash, snapshot=page.stable_snapshot)
        return CheckResult(page.pk, Verdict.UNCHANGED, first.outcome)
    if _flipped(page, first.hash, exclude=snapshot.pk):
        return CheckResult(page.pk, Verdict.FLIP, first.outcome)

    second = _read(page, options, conditional=False)
    if second.outcome in READ:
        keep = second.hash not in (first.hash, page.stable_hash)
        _save(page, second, second.hash, keep=keep)
        _mark_read(page, second.result, second.hash)
    else:
        _save(page, second, "")
    if second.outcome is not Outcome.OK or second.hash != first.hash:
        return CheckResult(page.pk, Verdict.UNCONFIRMED, second.outcome, error=second.error)
    change = _record_change(page, snapshot)
    if change is None:  # a concurrent check recorded it first
        return CheckResult(page.pk, Verdict.UNCHANGED, first.outcome)
    evidence.check_quotes(page, first.text, first.hash, snapshot=snapshot, change=change)
    return CheckResult(page.pk, Verdict.CHANGED, first.outcome, change_id=change.pk)


def _read(page: WatchedPage, options: dict[str, Any], *, conditional: bool) -> _Read:
    validators = {"etag": page.etag or None, "last_modified": page.last_modified or None}
    if page.js:
        options = {"render": renderer_from_settings()} | options
    result = fetch(page.url, **(validators if conditional else {}), **options)
    if result.outcome is not Outcome.OK:
        return _Read(result, result.outcome, error=result.error)
    try:
        extracted = extract(
            result.body or "",
            select=page.select or ["main"],
            remove=page.remove,
            base_url=result.final_url,
        )
    except (SelectorSyntaxError, ValueError) as exc:
        return _Read(result, Outcome.ERROR, error=f"invalid selector: {exc}"[:300])
    if extracted.outcome is not Outcome.OK:
        missing = ", ".join(extracted.missing)
        error = f"selector matched nothing: {missing}" if missing else "no text in the selection"
        return _Read(result, extracted.outcome, extracted.text, error=error)
    return _Read(result, Outcome.OK, extracted.text, extracted.hash)


def _save(page: WatchedPage, read: _Read, hash_: str, *, keep: bool = True) -> Snapshot:
    failed = read.outcome not in READ
    # PostgreSQL text cannot hold NUL, which corrupt pages do contain.
    raw = (read.result.body or "").replace("\x00", "") if keep else ""
    result = read.result
    return Snapshot.objects.create(
        page=page,
        outcome=read.outcome.value,
        status_code=result.status_code,
        final_url=result.final_url[:1000],
        etag=(result.etag or "")[:300],
        last_modified=(result.last_modified or "")[:100],
        error=read.error.replace("\x00", "")[:300],
        raw=raw[: FAILURE_RAW_CAP if failed else RAW_CAP],
        text=read.text.replace("\x00", "") if keep else "",
        hash=hash_,
    )


def _mark_read(page: WatchedPage, result: FetchResult, hash_: str | None = None) -> None:
    """A successful read: remember the validators and end any failure streak."""
    now = timezone.now()
    page.last_attempt_at = page.last_checked_at = now
    page.failures, page.unwatchable_since = 0, None
    fields = ["last_attempt_at", "last_checked_at", "failures", "unwatchable_since"]
    if hash_ is not None:
        page.last_hash, page.etag = hash_, (result.etag or "")[:300]
        page.last_modified = (result.last_modified or "")[:100]
        fields += ["last_hash", "etag", "last_modified"]
    page.save(update_fields=fields)


def _failed(page: WatchedPage, read: _Read) -> CheckResult:
    _save(page, read, "")
    page.failures += 1
    page.last_attempt_at = timezone.now()
    fields = ["failures", "last_attempt_at"]
    alert = page.failures >= int(settings.WATCH_ALERT_AFTER) and not page.unwatchable_since
    if alert:
        page.unwatchable_since = page.last_attempt_at
        fields.append("unwatchable_since")
    page.save(update_fields=fields)
    if alert:
        page_id = page.pk
        transaction.on_commit(lambda: notify.page_unwatchable(page_id))
    return CheckResult(page.pk, Verdict.FAILED, read.outcome, error=read.error)


def _flipped(page: WatchedPage, new_hash: str, *, exclude: int) -> bool:
    """True when `new_hash` was read recently and the stable text came back after it."""
    since = timezone.now() - timedelta(days=int(settings.WATCH_FLIP_DAYS))
    hashes = (
        page.snapshots.filter(fetched_at__gte=since, outcome__in=[o.value for o in READ])
        .exclude(pk=exclude)
        .exclude(hash="")
        .order_by("fetched_at", "pk")
        .values_list("hash", flat=True)
    )
    seen = False
    for value in hashes.iterator():
        if value == new_hash:
            seen = True
        elif seen and value == page.stable_hash:
            return True
    return False


def _record_change(page: WatchedPage, snapshot: Snapshot) -> DetectedChange | None:
    old = page.stable_snapshot
    now = timezone.now()
    with transaction.atomic():
        moved = WatchedPage.objects.filter(pk=page.pk, stable_hash=page.stable_hash).update(
            stable_hash=snapshot.hash, stable_snapshot=snapshot, last_changed_at=now
        )
        if not moved:
            return None
        diff = unified_diff(old.text if old else "", snapshot.text)
        change = DetectedChange.objects.create(
            page=page,
            old_snapshot=old,
            new_snapshot=snapshot,
            diff=diff,
            keyword_hits=keyword_hits(diff, page.keywords),
            detected_at=now,
        )
    page.stable_hash, page.stable_snapshot, page.last_changed_at = snapshot.hash, snapshot, now
    change_id = change.pk
    transaction.on_commit(lambda: notify.change_detected(change_id))
    return change


def prune_snapshots(*, days: int | None = None) -> int:
    """Delete old snapshots nothing refers to; returns how many went."""
    days = days if days is not None else int(settings.WATCH_KEEP_DAYS)
    cutoff = timezone.now() - timedelta(days=days)
    kept = set(WatchedPage.objects.exclude(stable_snapshot=None).values_list("stable_snapshot"))
    kept |= set(DetectedChange.objects.values_list("new_snapshot"))
    kept |= set(DetectedChange.objects.exclude(old_snapshot=None).values_list("old_snapshot"))
    old = Snapshot.objects.filter(fetched_at__lt=cutoff).exclude(pk__in=[k for (k,) in kept])
    deleted, _ = old.delete()
    return deleted
