"""Public feeds: the Atom feed of policy changes and the JSON dump of all guides."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guides.models import Deadline, Guide, Platform, PolicyChange

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_lists_published_changes_newest_first(client, content):
    response = client.get("/changes.atom")
    assert response.status_code == 200 and "atom+xml" in response["Content-Type"]
    feed = ET.fromstring(response.content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    expected = PolicyChange.objects.filter(published_at__isnull=False).order_by("-date", "-id")
    assert titles == [f"{c.platform.name}: {c.title}" for c in expected[:50]]
    assert any("LinkedIn: Training extended" in t for t in titles)


def test_platform_feed_has_only_that_platform(client, content):
    feed = ET.fromstring(client.get("/platforms/linkedin/changes.atom").content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert titles and all(t.startswith("LinkedIn: ") for t in titles)
    assert client.get("/platforms/nope/changes.atom").status_code == 404


def test_unpublished_change_is_not_in_the_feed(client, content):
    platform = Platform.objects.get(slug="linkedin")
    PolicyChange.objects.create(platform=platform, date="2026-11-01", title="Draft", summary=".")
    assert b"Draft" not in client.get("/changes.atom").content


def test_json_dump_has_every_guide_with_sources_in_constant_queries(client, content):
    with CaptureQueriesContext(connection) as ctx:
        data = client.get("/api/platforms.json").json()
    assert len(ctx.captured_queries) <= 5
    slugs = {p["slug"] for p in data["platforms"]}
    assert slugs == set(Platform.objects.filter(active=True).values_list("slug", flat=True))
    guides = [g for p in data["platforms"] for g in p["guides"]]
    assert len(guides) == Guide.objects.filter(active=True).count()
    assert all(g["sources"] and g["sources"][0]["kind"] for g in guides)
    assert all("quote" in s and "checked_on" in s for g in guides for s in g["sources"])
    assert all(g["confidence"] in {"confirmed", "reported", "unconfirmed"} for g in guides)
    linkedin = next(p for p in data["platforms"] if p["slug"] == "linkedin")
    toggle = linkedin["guides"][0]
    assert toggle["steps"][2]["title"].startswith('Switch off "Use my data')


def test_json_gives_each_sources_evidence_and_the_derived_confidence(client):
    from tests.factories import make_guide, make_platform

    quoted = {
        "id": "help",
        "url": "https://help.example.com/ai",
        "title": "Help",
        "kind": "official",
        "publisher": None,
        "quote": ["Use my data for training"],
        "checked_on": "2026-11-01",
        "supports": ["label", "path", "default"],
    }
    press = quoted | {"id": "news", "kind": "press", "publisher": "Example News"}
    press |= {"supports": ["regions"], "url": "https://news.example.org/a"}
    guide = make_guide(make_platform(aliases=["Other"]), sources=[quoted, press])
    data = client.get("/api/platforms.json").json()
    platform = next(p for p in data["platforms"] if p["slug"] == guide.platform.slug)
    assert platform["aliases"] == ["Other"]
    shown = platform["guides"][0]
    assert shown["confidence"] == "reported" and shown["unconfirmed_facts"] == []
    assert shown["sources"][0]["kind"] == "official"
    assert shown["sources"][0]["quote"] == ["Use my data for training"]
    assert shown["sources"][0]["checked_on"] == "2026-11-01"
    assert shown["sources"][1]["publisher"] == "Example News"


def test_json_gives_request_routes_and_deadlines_as_the_content_declares(client, content):
    data = client.get("/api/platforms.json").json()
    linkedin = next(p for p in data["platforms"] if p["slug"] == "linkedin")
    deadline = next(d for d in linkedin["deadlines"] if d["key"] == "training-extended-europe")
    assert deadline["date"] == "2025-11-03" and deadline["kind"] == "training-starts"
    assert deadline["source"] == "https://www.linkedin.com/legal/privacy/eu"
    assert deadline["quote"] and deadline["checked_on"]
    routes = {r["key"]: r for g in linkedin["guides"] for r in g["requests"]}
    objection = routes["gdpr-objection"]
    assert objection["law"] == "gdpr-art21" and objection["regions"] == ["eu"]
    assert objection["recipient"]["form"] == "https://www.linkedin.com/help/linkedin/ask/TS-DPRO"
    assert routes["uk-gdpr-objection"]["law"] == "uk-gdpr-art21"
    declared = Guide.objects.filter(active=True).exclude(requests=[]).count()
    guides = [g for p in data["platforms"] for g in p["guides"]]
    assert sum(1 for g in guides if g["requests"]) == declared > 1
    assert (
        sum(len(p["deadlines"]) for p in data["platforms"])
        == Deadline.objects.filter(active=True, platform__active=True).count()
    )
