"""Derived confidence (guides.evidence): each branch of the rules, pure functions."""

from __future__ import annotations

import datetime as dt

import pytest

from guides import evidence
from guides.evidence import CONFIRMED, REPORTED, UNCONFIRMED


def src(kind="official", supports=(), quote=("Q",), checked_on="2026-11-01", **kw) -> dict:
    return {
        "id": kw.pop("id", "s"),
        "url": "https://example.com/help",
        "title": "Help",
        "kind": kind,
        "quote": list(quote),
        "checked_on": checked_on if quote else None,
        "supports": list(supports),
        **kw,
    }


SETTING_FACTS = ["label", "path", "default", "regions"]


def test_fact_backed_by_an_official_quote_is_confirmed():
    assert evidence.fact_status([src(supports=["label"])], "label") == CONFIRMED


def test_fact_backed_only_by_press_or_regulator_is_reported():
    sources = [src("press", ["label"]), src("regulator", ["label"])]
    assert evidence.fact_status(sources, "label") == REPORTED


def test_official_beats_press_for_the_same_fact():
    sources = [src("press", ["label"]), src("official", ["label"])]
    assert evidence.fact_status(sources, "label") == CONFIRMED
    assert evidence.supporting(sources, "label")[0]["kind"] == "official"


def test_source_without_quote_supports_nothing():
    # The schema forbids supports without quote; the rule holds even if data says so.
    assert evidence.fact_status([src(supports=["label"], quote=())], "label") == UNCONFIRMED


def test_fact_nothing_supports_is_unconfirmed():
    assert evidence.fact_status([src(supports=["path"])], "label") == UNCONFIRMED


def test_guide_is_confirmed_when_every_required_fact_is():
    sources = [src(supports=SETTING_FACTS)]
    assert evidence.confidence("setting", sources) == CONFIRMED
    assert evidence.unconfirmed_facts("setting", sources) == []


def test_guide_is_reported_when_some_facts_rest_on_press_and_none_is_unconfirmed():
    sources = [src(supports=["label", "path", "default"]), src("press", ["regions"])]
    assert evidence.confidence("setting", sources) == REPORTED
    assert evidence.unconfirmed_facts("setting", sources) == []


def test_guide_is_unconfirmed_when_a_required_fact_has_no_quote():
    sources = [src(supports=["label", "path", "regions"]), src("press", ["label"])]
    assert evidence.confidence("setting", sources) == UNCONFIRMED
    assert evidence.unconfirmed_facts("setting", sources) == ["default"]


def test_guide_without_any_quote_is_unconfirmed_on_every_fact():
    sources = [src(quote=())]
    assert evidence.confidence("setting", sources) == UNCONFIRMED
    assert evidence.unconfirmed_facts("setting", sources) == SETTING_FACTS


@pytest.mark.parametrize(
    ("kind", "facts"),
    [
        ("setting", ["label", "path", "default", "regions"]),
        ("admin-only", ["label", "path", "default", "regions"]),
        ("form", ["label", "regions"]),
        ("email", ["label", "regions"]),
        ("no-opt-out", ["scope", "regions"]),
    ],
)
def test_each_kind_requires_its_facts(kind, facts):
    assert list(evidence.REQUIRED_FACTS[kind]) == facts
    assert evidence.confidence(kind, [src(supports=facts)]) == CONFIRMED
    missing_one = [src(supports=facts[1:])]
    assert evidence.unconfirmed_facts(kind, missing_one) == facts[:1]


def test_facts_a_kind_does_not_require_do_not_count():
    # A form needs no path or default: label and regions confirmed is enough.
    assert evidence.confidence("form", [src(supports=["label", "regions"])]) == CONFIRMED


def test_age_and_staleness():
    today = dt.date(2026, 12, 1)
    fresh = src(checked_on="2026-09-02")  # 90 days
    old = src(checked_on="2026-09-01")  # 91 days
    assert evidence.age_days(fresh, today) == 90 and not evidence.is_stale(fresh, today)
    assert evidence.age_days(old, today) == 91 and evidence.is_stale(old, today)
    never = src(quote=())
    assert evidence.age_days(never, today) is None and not evidence.is_stale(never, today)
    shown = evidence.annotated(old, today)
    assert shown["checked"] == dt.date(2026, 9, 1) and shown["stale"] and shown["age_days"] == 91


def test_step_source_is_found_by_id():
    sources = [src(id="help"), src(id="faq")]
    assert [s["id"] for s in evidence.for_step(sources, "faq")] == ["faq"]
    assert evidence.for_step(sources, "") == []
