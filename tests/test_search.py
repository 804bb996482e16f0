"""Catalog search: names, aliases and guide titles, ignoring case, spaces and
punctuation; the same platforms with and without htmx; constant queries."""

from __future__ import annotations

import re

import pytest
import yaml
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guides.catalog import searchable
from tests.factories import make_guide, make_platform

pytestmark = pytest.mark.django_db

ALIASES = [
    (data["slug"], alias)
    for data in (yaml.safe_load(p.read_text()) for p in sorted(settings.CONTENT_DIR.glob("*.yaml")))
    for alias in data.get("aliases", [])
]


def _slugs(client, q: str, htmx: bool = False) -> list[str]:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get("/platforms/", {"q": q}, headers=headers)
    assert response.status_code == 200
    assert ("<html" in response.content.decode()) is not htmx
    return re.findall(r'data-platform="([a-z0-9-]+)"', response.content.decode())


def test_the_content_has_aliases_to_search():
    platforms = {slug for slug, _ in ALIASES}
    assert {"chatgpt", "gemini", "x", "meta", "copilot"} <= platforms


@pytest.mark.parametrize(("slug", "alias"), ALIASES, ids=[f"{s}:{a}" for s, a in ALIASES])
def test_each_alias_finds_its_platform(client, content, slug, alias):
    assert slug in _slugs(client, alias)
    assert slug in _slugs(client, alias.upper().replace(" ", "  "))


@pytest.mark.parametrize(
    ("q", "slug"),
    [
        ("chat gpt", "chatgpt"),
        ("Chat-GPT", "chatgpt"),
        ("wordpress.com", "wordpress-com"),
        ("WORD PRESS", "wordpress-com"),
        ("twitter", "x"),
        ("bard", "gemini"),
    ],
)
def test_search_ignores_case_spaces_and_punctuation(client, content, q, slug):
    assert slug in _slugs(client, q)


def test_search_matches_guide_titles(client, content):
    assert "linkedin" in _slugs(client, "Data Processing Objection")


def test_search_with_no_match_finds_nothing(client, content):
    assert _slugs(client, "zzqx") == []


def test_searchable_keeps_letters_and_digits_of_any_script():
    assert searchable(" Chat-GPT 4o! ") == "chatgpt4o"
    assert searchable("Über_Straße") == "überstrasse"


@pytest.mark.parametrize("q", ["chat gpt", "OpenAI", "facebook", "objection form"])
def test_alias_search_is_the_same_with_and_without_htmx(client, content, q):
    assert _slugs(client, q) == _slugs(client, q, htmx=True)


def test_search_queries_do_not_grow_with_platforms(client):
    counts = []
    for n in (5, 60):
        for _ in range(n):
            make_guide(make_platform(aliases=["Other name"]), steps=2)
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/platforms/", {"q": "other name"}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
