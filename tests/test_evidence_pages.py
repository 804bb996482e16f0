"""Evidence on guide pages and in the admin: confidence in words, the unconfirmed
facts, each fact's quotes in a <details> (no JavaScript), the age of old checks (also
after a day passes with the page cached), and the editors' re-check list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from guides.models import Source, Step
from tests.factories import make_guide, make_platform

pytestmark = pytest.mark.django_db


def _evidence_guide(today: dt.date, *, days_old: int = 120):
    old = (today - dt.timedelta(days=days_old)).isoformat()
    fresh = (today - dt.timedelta(days=3)).isoformat()
    sources = [
        {
            "id": "help",
            "url": "https://help.example.com/ai",
            "title": "Help: AI training",
            "kind": "official",
            "publisher": None,
            "quote": ["Use my data for training"],
            "checked_on": old,
            "supports": ["label", "path"],
        },
        {
            "id": "news",
            "url": "https://news.example.org/story",
            "title": "The story",
            "kind": "press",
            "publisher": "Example News",
            "quote": ["available worldwide"],
            "checked_on": fresh,
            "supports": ["regions"],
        },
        {
            "id": "terms",
            "url": "https://example.com/terms",
            "title": "Terms",
            "kind": "official",
            "publisher": None,
            "quote": [],
            "checked_on": None,
            "supports": [],
        },
    ]
    guide = make_guide(make_platform(), sources=sources, default_state="On")
    Step.objects.filter(guide=guide, key="step-0").update(source="help")
    return guide


def _html(client, guide) -> str:
    response = client.get(guide.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_guide_page_says_confidence_and_which_facts_are_unconfirmed(client):
    guide = _evidence_guide(timezone.localdate())
    assert guide.confidence == "unconfirmed" and guide.unconfirmed_facts == ["default"]
    html = _html(client, guide)
    summary = html.split('id="confidence"')[1].split("</p>")[0]
    assert "Not confirmed" in summary and "the default before you act" in summary
    assert "where it is" not in summary  # path is quoted from an official page
    where = html.split('id="where-title"')[1].split("</section>")[0]
    default = where.split("Default before you act:")[1]
    assert default.count("No page we quote confirms this yet.") == 1  # the default's
    assert "No page we quote confirms this yet." not in where.split("Default before")[0]


def test_each_fact_shows_its_quote_source_kind_and_date_in_details(client):
    guide = _evidence_guide(timezone.localdate())
    html = _html(client, guide)
    step = html.split('id="step-step-0"')[1].split("</li>")[0]
    assert '<details class="evidence">' in step and "Use my data for training" in step
    assert 'href="https://help.example.com/ai"' in step and "the platform's own page" in step
    other_step = html.split('id="step-step-1"')[1].split("</li>")[0]
    assert "<details" not in other_step  # names no source
    where = html.split('id="where-title"')[1].split("</section>")[0]
    assert "<details" in where and "available worldwide" in where and "(Example News)" in where
    assert "press" in where
    sources = html.split('id="sources-title"')[1].split("</section>")[0]
    assert "not quoted" in sources.split('id="source-terms"')[1]


def test_old_evidence_says_how_many_days_ago_and_fresh_evidence_its_date(client):
    today = timezone.localdate()
    guide = _evidence_guide(today)
    html = _html(client, guide)
    assert "checked 120 days ago" in html
    fresh = (today - dt.timedelta(days=3)).strftime("%-d %b %Y")
    assert "checked on <time datetime" in html and fresh in html
    assert "checked 3 days ago" not in html


def test_cached_page_counts_days_from_the_day_it_is_served(client, monkeypatch):
    cache.clear()
    today = timezone.localdate()
    guide = _evidence_guide(today)
    assert "checked 120 days ago" in _html(client, guide)
    assert "checked 120 days ago" in _html(client, guide)  # served from the page cache
    monkeypatch.setattr(timezone, "localdate", lambda *a: today + dt.timedelta(days=1))
    assert "checked 121 days ago" in _html(client, guide)


def test_a_setting_without_deep_link_says_why(client):
    guide = make_guide(make_platform(), deep_link_reason="The setting is only in the app.")
    assert "The setting is only in the app." in _html(client, guide)


def test_admin_re_check_list_filters_sources_by_age(admin_client):
    from guides.loader import _load_sources
    from guides.schema import Source as SourceSchema

    guide = _evidence_guide(timezone.localdate())
    _load_sources(guide, [SourceSchema.model_validate(s) for s in guide.sources])
    assert Source.objects.filter(guide=guide).count() == 3

    stale = admin_client.get("/admin/guides/source/", {"age": "stale"}).content.decode()
    assert "Help: AI training" in stale and "The story" not in stale and "re-check" in stale
    recent = admin_client.get("/admin/guides/source/", {"age": "recent"}).content.decode()
    assert "The story" in recent and "Help: AI training" not in recent
    never = admin_client.get("/admin/guides/source/", {"age": "never"}).content.decode()
    assert "Terms" in never and "The story" not in never
    source = Source.objects.get(guide=guide, source_id="help")
    assert admin_client.post(f"/admin/guides/source/{source.pk}/change/", {}).status_code == 403
