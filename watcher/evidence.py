"""The watcher re-checks our evidence: are the quotes our sources take from a page
still on it?

A guide's source (`Guide.sources`: id, url, title, kind, quote, checked_on, ...) quotes
passages of an official page. Each time the watcher has read a watched page's stable
text, every quote of every source with that page's URL is looked for in it, tolerant
of whitespace, typographic quotes and dashes, and case. A quote that is not there
opens one `Reverification` (guide, steps resting on the source, the quote, the diff);
a quote that is there changes nothing (only an editor moves `checked_on`).

Idempotent: an open item for the same guide, source and quote is never doubled (a
partial unique constraint backs the check), and an item an editor resolved is not
reopened until the page's text changes again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re

from django.db import IntegrityError, transaction
from django.db.models import Q

from guides.models import Guide
from watcher import notify
from watcher.extract import URL_CLOSE, URL_OPEN, normalise_text
from watcher.models import DetectedChange, Reverification, Snapshot, WatchedPage
from watcher.pages import norm_url
from watcher.textfold import fold

log = logging.getLogger(__name__)

_LINK = re.compile(r"\s*\((?:https?|mailto):[^)\s]*\)")
_MARKER = re.compile(r"^\s*(?:#{1,6}|[-*>|]|1\.)\s+")


def _flat(text: str) -> str:
    """Folded, quotation marks dropped (a quote may be copied with other ones), one line."""
    return " ".join(fold(text).replace('"', " ").replace("'", "").split())


def searchable(text: str) -> str:
    """Extracted page text as one folded line: no list/heading markers or link targets."""
    lines = (_MARKER.sub("", _LINK.sub("", line)) for line in text.splitlines())
    return _flat(" ".join(line.replace(" | ", " ").strip(" |") for line in lines))


def _quote_forms(quote: str) -> set[str]:
    cleaned = quote.replace(URL_OPEN, "").replace(URL_CLOSE, "")
    forms = {_flat(cleaned), _flat(normalise_text(cleaned))}
    return {f.strip(" .") for f in forms} - {""}


def quote_present(quote: str, text: str) -> bool:
    """Whether `quote` appears in the extracted `text` (see module docstring)."""
    haystack = searchable(text)
    return any(form in haystack for form in _quote_forms(quote))


def _quotes(source: dict) -> list[str]:
    quote = source.get("quote") or []
    items = [quote] if isinstance(quote, str) else list(quote)
    return [q for q in items if isinstance(q, str) and q.strip()]


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _steps_for(guide: Guide, source_id: str) -> list[dict]:
    if not source_id:
        return []
    return [
        {"key": s.key, "title": s.title}
        for s in guide.steps.filter(active=True)
        if getattr(s, "source", None) == source_id  # steps gain `source` with issue 10
    ]


def check_quotes(
    page: WatchedPage,
    text: str,
    page_hash: str,
    *,
    snapshot: Snapshot | None = None,
    change: DetectedChange | None = None,
) -> int:
    """Open a re-verification for each quote missing from `text`; returns how many."""
    url = norm_url(page.url)
    guides = Guide.objects.filter(platform_id=page.platform_id, active=True)
    missing = [
        (guide, source, quote)
        for guide in guides
        for source in guide.sources
        if norm_url(source.get("url", "")) == url
        for quote in _quotes(source)
        if not quote_present(quote, text)
    ]
    if not missing:
        return 0
    if change is None:
        change = page.detected_changes.filter(new_snapshot__hash=page_hash).first()
    opened = [
        item_id
        for guide, source, quote in missing
        if (item_id := _open(page, guide, source, quote, page_hash, snapshot, change))
    ]
    if opened:
        transaction.on_commit(_bump_pages)
        transaction.on_commit(lambda: notify.reverification_opened(opened))
    return len(opened)


def _open(page, guide, source, quote, page_hash, snapshot, change) -> int | None:
    digest = hashlib.sha256(quote.encode()).hexdigest()
    source_url = str(source.get("url", ""))[:500]
    known = Reverification.objects.filter(
        guide=guide, source_url=source_url, quote_hash=digest
    ).filter(Q(status=Reverification.Status.OPEN) | Q(page_hash=page_hash))
    if known.exists():
        return None
    source_id = str(source.get("id") or "")
    try:
        with transaction.atomic():
            item = Reverification.objects.create(
                guide=guide,
                page=page,
                source_id=source_id[:100],
                source_url=source_url,
                source_title=str(source.get("title", ""))[:200],
                checked_on=_date(source.get("checked_on")),
                quote=quote,
                quote_hash=digest,
                steps=_steps_for(guide, source_id),
                page_hash=page_hash,
                snapshot=snapshot,
                detected_change=change,
                diff=change.diff if change else "",
            )
    except IntegrityError:  # a concurrent check opened it first
        return None
    log.info("watcher: quote missing from %s for %s", page.url, guide)
    return item.pk


def _bump_pages() -> None:
    """Guide pages are cached whole: show the note at once."""
    from optout_site.cache import bump_content_stamp

    bump_content_stamp()
