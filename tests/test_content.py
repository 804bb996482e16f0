"""The evidence rules, checked over the real content files themselves (read as plain
YAML, not through the schema, so a loophole in the schema cannot hide a bad file):

- an `official` source is on the platform's registrable domain (public suffix list)
  or on one of the file's `official_domains`;
- no quote is empty, and a quote comes with the day it was read (and only then);
- no `checked_on` is in the future;
- every policy change names its source;
- a `setting` guide has a step link, or `deep_link: none` with the reason;
- a step's `source` names a source of its guide.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from guides.domains import url_domain

FILES = sorted(Path(settings.CONTENT_DIR).glob("*.yaml"))


def _domain(url: str) -> str | None:
    return url_domain(url)


def _quote_problems(where: str, item: dict, today: dt.date) -> list[str]:
    quote, checked = item.get("quote") or [], item.get("checked_on")
    problems = [f"{where}: empty quote" for q in quote if not str(q).strip()]
    if bool(quote) != bool(checked):
        problems.append(f"{where}: quote and checked_on go together")
    if isinstance(checked, str):
        checked = dt.date.fromisoformat(checked)
    if checked and checked > today:
        problems.append(f"{where}: checked_on {checked} is in the future")
    return problems


def _guide_problems(where: str, guide: dict, own: set[str], today: dt.date) -> list[str]:
    problems = []
    ids = {s.get("id") for s in guide.get("sources", [])}
    for i, source in enumerate(guide.get("sources", [])):
        at = f"{where}.sources.{i}"
        problems += _quote_problems(at, source, today)
        if source.get("kind") == "official" and _domain(source["url"]) not in own:
            problems.append(f"{at}: official source {source['url']} is not on {sorted(own)}")
    steps = guide.get("steps", [])
    for i, step in enumerate(steps):
        if step.get("source") and step["source"] not in ids:
            problems.append(f"{where}.steps.{i}: names unknown source {step['source']!r}")
    no_link = guide.get("deep_link") == "none" and str(guide.get("deep_link_reason", "")).strip()
    if guide.get("kind") == "setting" and not any(s.get("link") for s in steps) and not no_link:
        problems.append(f"{where}: setting guide has no deep link and no deep_link: none reason")
    return problems


def content_problems(data: dict, today: dt.date | None = None) -> list[str]:
    """Every breach of the evidence rules in one platform file's data."""
    today = today or dt.date.today()
    listed = data.get("official_domains", [])
    own = {_domain(data["website"]), *(_domain(f"https://{d}/") for d in listed)}
    problems = []
    for g, guide in enumerate(data.get("guides", [])):
        problems += _guide_problems(f"guides.{g}", guide, own, today)
    for i, change in enumerate(data.get("policy_changes", [])):
        if not change.get("source"):
            problems.append(f"policy_changes.{i} ({change.get('date')}): no source")
        problems += _quote_problems(f"policy_changes.{i}", change, today)
    return problems


def test_there_are_content_files():
    assert len(FILES) >= 20


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_content_file_follows_the_evidence_rules(path):
    assert content_problems(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def _sample() -> dict:
    return {
        "website": "https://www.example.com",
        "official_domains": ["example-help.org"],
        "guides": [
            {
                "kind": "setting",
                "sources": [
                    {"id": "help", "url": "https://help.example.com/a", "kind": "official"},
                    {"id": "kb", "url": "https://kb.example-help.org/b", "kind": "official"},
                    {"id": "news", "url": "https://news.example.net/c", "kind": "press"},
                ],
                "steps": [{"key": "a", "source": "help", "link": "https://example.com/s"}],
            }
        ],
        "policy_changes": [{"date": "2026-01-01", "source": "https://example.com/p"}],
    }


BREACHES = {
    "official-elsewhere": (
        lambda d: d["guides"][0]["sources"][2].update(kind="official"),
        "is not on",
    ),
    "empty-quote": (
        lambda d: d["guides"][0]["sources"][0].update(quote=[" "], checked_on="2026-01-01"),
        "empty quote",
    ),
    "future-check": (
        lambda d: d["guides"][0]["sources"][0].update(quote=["Q"], checked_on="2999-01-01"),
        "in the future",
    ),
    "quote-without-date": (
        lambda d: d["guides"][0]["sources"][0].update(quote=["Q"]),
        "go together",
    ),
    "change-without-source": (lambda d: d["policy_changes"][0].pop("source"), "no source"),
    "setting-without-link": (
        lambda d: d["guides"][0]["steps"][0].pop("link"),
        "no deep link",
    ),
    "no-link-without-reason": (
        lambda d: (d["guides"][0]["steps"][0].pop("link"), d["guides"][0].update(deep_link="none")),
        "no deep link",
    ),
    "unknown-step-source": (
        lambda d: d["guides"][0]["steps"][0].update(source="nope"),
        "unknown source",
    ),
}


def test_the_sample_has_no_problems():
    assert content_problems(_sample()) == []


@pytest.mark.parametrize("case", sorted(BREACHES))
def test_content_check_catches_each_breach(case):
    edit, expected = BREACHES[case]
    data = _sample()
    edit(data)
    problems = content_problems(data)
    assert len(problems) == 1 and expected in problems[0], problems


def test_deep_link_none_with_reason_is_enough():
    data = _sample()
    data["guides"][0]["steps"][0].pop("link")
    data["guides"][0].update(deep_link="none", deep_link_reason="Only in the app.")
    assert content_problems(data) == []
