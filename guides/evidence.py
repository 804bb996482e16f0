"""What a guide's evidence says: which facts are confirmed, the derived confidence,
and how old each check is. Pure functions over sources as the loader stores them
(`Guide.sources`: the schema's Source dumped to JSON), free of Django and pydantic.

A fact is **confirmed** when an `official` source with a quote supports it,
**reported** when only `press`/`regulator` sources with quotes do, and
**unconfirmed** otherwise. A guide is confirmed when every fact its kind requires is;
reported when none is unconfirmed; unconfirmed otherwise. Never typed by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

CONFIRMED, REPORTED, UNCONFIRMED = "confirmed", "reported", "unconfirmed"
STALE_AFTER_DAYS = 90

# The facts each kind of guide must back with evidence (schema.Fact values).
REQUIRED_FACTS: dict[str, tuple[str, ...]] = {
    "setting": ("label", "path", "default", "regions"),
    "admin-only": ("label", "path", "default", "regions"),
    "form": ("label", "regions"),
    "email": ("label", "regions"),
    "no-opt-out": ("scope", "regions"),
}

Source = Mapping  # one source as stored: id, url, title, kind, quote, checked_on, supports


def supporting(sources: Iterable[Source], fact: str) -> list[Source]:
    """Sources whose quotes back `fact`, official ones first."""
    found = [s for s in sources if s.get("quote") and fact in (s.get("supports") or [])]
    return sorted(found, key=lambda s: s.get("kind") != "official")


def fact_status(sources: Iterable[Source], fact: str) -> str:
    kinds = {s.get("kind") for s in supporting(sources, fact)}
    if "official" in kinds:
        return CONFIRMED
    return REPORTED if kinds else UNCONFIRMED


def fact_statuses(kind: str, sources: Iterable[Source]) -> dict[str, str]:
    """Each fact `kind` requires -> confirmed | reported | unconfirmed."""
    sources = list(sources)
    return {fact: fact_status(sources, fact) for fact in REQUIRED_FACTS[kind]}


def confidence(kind: str, sources: Iterable[Source]) -> str:
    statuses = set(fact_statuses(kind, sources).values())
    if statuses <= {CONFIRMED}:
        return CONFIRMED
    return UNCONFIRMED if UNCONFIRMED in statuses else REPORTED


def unconfirmed_facts(kind: str, sources: Iterable[Source]) -> list[str]:
    return [f for f, status in fact_statuses(kind, sources).items() if status == UNCONFIRMED]


def checked_date(source: Source) -> dt.date | None:
    value = source.get("checked_on")
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def age_days(source: Source, today: dt.date) -> int | None:
    """Days since the source's quote was read, or None for a source without a check."""
    checked = checked_date(source)
    return None if checked is None else (today - checked).days


def is_stale(source: Source, today: dt.date, limit: int = STALE_AFTER_DAYS) -> bool:
    days = age_days(source, today)
    return days is not None and days > limit


def annotated(source: Source, today: dt.date) -> dict:
    """The source with what a page shows about its age: `checked` (a date), `age_days`
    and `stale` (the check is older than STALE_AFTER_DAYS)."""
    return {
        **source,
        "checked": checked_date(source),
        "age_days": age_days(source, today),
        "stale": is_stale(source, today),
    }


def for_step(sources: Iterable[Source], source_id: str) -> list[Source]:
    """The source a step names (`Step.source`), or none."""
    return [s for s in sources if source_id and s.get("id") == source_id]
