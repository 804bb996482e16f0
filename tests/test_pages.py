"""Home, catalog, platform and guide pages: content, filters, regions, query counts."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from guides.models import Guide, Platform
from guides.templatetags.evidence_tags import fact_label
from tests.factories import make_guide, make_platform

pytestmark = pytest.mark.django_db


def test_home_explains_and_offers_region_choice(client, content):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop platforms training AI on your data" in html
    assert 'name="region"' in html and "never guess your region from your IP" in html


def test_every_platform_and_guide_page_renders(client, content):
    platforms = list(Platform.objects.filter(active=True).prefetch_related("guides"))
    assert len(platforms) >= 20
    for platform in platforms:
        page = client.get(platform.get_absolute_url())
        assert page.status_code == 200, platform.slug
        assert platform.name in page.content.decode()
        for guide in platform.guides.filter(active=True):
            page = client.get(guide.get_absolute_url())
            html = page.content.decode()
            assert page.status_code == 200, guide
            assert f'class="confidence confidence-{guide.confidence}"' in html
            for fact in guide.unconfirmed_facts:
                assert escape(fact_label(fact)) in html.split('id="confidence"')[1].split("</p>")[0]
            for source in guide.sources:
                assert source["url"].replace("&", "&amp;") in html
            if guide.uncertain:
                assert "Not confirmed" in html


def test_linkedin_guide_is_complete(client, content):
    html = client.get("/platforms/linkedin/generative-ai-training/").content.decode()
    for text in [
        "Data for Generative AI Improvement",
        "Use my data for training content creation AI models",
        "Settings &amp; Privacy",
        "Data privacy",
        "Default before you act: <strong>On</strong>",
        "Data Processing Objection Form",
        "18 Sep 2024",
        "3 Nov 2025",
        "Switzerland, Canada and Hong Kong",
        "What it does not cover",
        "Official pages we watch for this guide",
    ]:
        assert text in html, text
    form = client.get("/platforms/linkedin/object-to-ai-processing/").content.decode()
    assert "https://www.linkedin.com/help/linkedin/ask/TS-DPRO" in form


def test_no_opt_out_and_admin_only_guides_say_what_to_do(client, content):
    reddit = Guide.objects.get(platform__slug="reddit", kind="no-opt-out")
    html = client.get(reddit.get_absolute_url()).content.decode()
    assert "No opt-out exists: what you can still do" in html
    for slug in ["slack", "hubspot"]:
        guide = Guide.objects.filter(platform__slug=slug, kind="admin-only").first()
        assert guide is not None, slug
        html = client.get(guide.get_absolute_url()).content.decode()
        assert "Who must act" in html
        if guide.request_template:
            assert "A request you can send" in html and "mailto:" in html


def test_guide_outside_its_regions_says_not_needed(client, content):
    guide = Guide.objects.exclude(regions=["all"]).filter(platform__slug="meta").first()
    outside = next(r for r in ["us", "eu", "au"] if r not in guide.regions)
    inside = guide.regions[0]
    client.cookies["region"] = outside
    assert "Not needed in your region" in client.get(guide.get_absolute_url()).content.decode()
    client.cookies["region"] = inside
    html = client.get(guide.get_absolute_url()).content.decode()
    assert "Not needed in your region" not in html and "Applies in your region" in html


def test_set_region_keeps_choice_in_cookie_and_rejects_unknown(client):
    response = client.post("/region/", {"region": "eu", "next": "/platforms/"})
    assert response.status_code == 302 and response["Location"] == "/platforms/"
    assert response.cookies["region"].value == "eu"
    assert response.cookies["region"]["httponly"]
    bad = client.post("/region/", {"region": "atlantis"})
    assert bad.status_code == 400 and "choose one of the listed regions" in bad.content.decode()
    offsite = client.post("/region/", {"region": "us", "next": "https://evil.example/"})
    assert offsite["Location"] == "/platforms/"


def _slugs(html: str) -> list[str]:
    return re.findall(r'data-platform="([a-z0-9-]+)"', html)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "linked"},
        {"category": "ai-assistant"},
        {"region": "us", "kind": "no-opt-out"},
        {"difficulty": "easy", "region": "eu"},
        {"kind": "admin-only"},
    ],
)
def test_no_js_and_htmx_filters_return_same_platforms(client, content, query):
    full = client.get("/platforms/", query)
    partial = client.get("/platforms/", query, headers={"HX-Request": "true"})
    assert full.status_code == partial.status_code == 200
    assert "<html" in full.content.decode() and "<html" not in partial.content.decode()
    assert _slugs(full.content.decode()) == _slugs(partial.content.decode())
    assert "HX-Request" in full["Vary"]


def test_filters_actually_filter(client, content):
    linked = _slugs(client.get("/platforms/", {"q": "linked"}).content.decode())
    assert linked == ["linkedin"]
    no_opt = _slugs(client.get("/platforms/", {"kind": "no-opt-out"}).content.decode())
    assert "reddit" in no_opt and "linkedin" not in no_opt
    everything = _slugs(client.get("/platforms/", {"region": ""}).content.decode())
    assert len(everything) == Platform.objects.filter(active=True).count()


def test_bad_filter_is_a_clear_400(client, content):
    response = client.get("/platforms/", {"difficulty": "impossible"})
    assert response.status_code == 400
    assert "Some filters were not understood" in response.content.decode()


def _count_queries(client, url: str) -> int:
    cache.clear()  # measure the render, not the page cache
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _platforms(n: int) -> Guide:
    Platform.objects.all().delete()
    guide = None
    for _ in range(n):
        platform = make_platform()
        guide = make_guide(platform, steps=12)
        make_guide(platform, steps=4)
    return guide


@pytest.mark.parametrize("page", ["catalog", "guide", "platform"])
def test_queries_per_page_do_not_grow_with_platforms(client, page):
    counts = []
    for n in (5, 60):
        guide = _platforms(n)
        url = {
            "catalog": "/platforms/",
            "guide": guide.get_absolute_url(),
            "platform": guide.platform.get_absolute_url(),
        }[page]
        counts.append(_count_queries(client, url))
    assert counts[0] == counts[1], counts


def test_unknown_platform_or_guide_is_404(client, content):
    assert client.get("/platforms/nope/").status_code == 404
    assert client.get("/platforms/linkedin/nope/").status_code == 404
    assert "There is nothing at this address" in client.get("/platforms/nope/").content.decode()


def test_pages_reference_no_third_party_host(client, content):
    for url in ["/", "/platforms/", "/platforms/linkedin/generative-ai-training/"]:
        html = client.get(url).content.decode()
        for attr in re.findall(
            r'<(?:script|link|img|iframe|source)[^>]+(?:src|href)="([^"]+)"', html
        ):
            assert attr.startswith("/"), f"{url} loads {attr}"


def test_strict_csp_header(client):
    csp = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_healthz_reports_database_and_redis(client, settings):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok"
    if settings.REDIS_URL:
        assert body["redis"] == "ok"
