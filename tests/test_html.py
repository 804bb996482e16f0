"""Every page type is well-formed HTML5 (html5lib's strict parser reports any parse error)."""

from __future__ import annotations

import re

import html5lib
import pytest
from django.test import Client

from guides.models import Guide, Step

pytestmark = pytest.mark.django_db


def assert_valid(html: str, url: str) -> None:
    parser = html5lib.HTMLParser(strict=True)
    try:
        parser.parse(html)
    except html5lib.html5parser.ParseError as exc:
        line = html.splitlines()[parser.errors[0][0][0] - 1] if parser.errors else ""
        pytest.fail(f"{url}: {exc}\n{line.strip()}")


def test_all_page_types_parse_without_errors(content):
    client = Client()
    step = Step.objects.filter(guide__platform__slug="linkedin").select_related("guide").first()
    client.post(f"/me/tick/linkedin/{step.guide.slug}/{step.key}/", {"done": "1"})
    client.post("/me/platforms/reddit/add/")
    urls = ["/", "/platforms/", "/platforms/?q=zzz", "/me/", "/me/signin/", "/me/delete/"]
    urls += ["/region/", "/about/", "/privacy/", "/accessibility/", "/me/subscribe/sent/"]
    urls += ["/report/linkedin/generative-ai-training/?step=switch-off-training"]
    urls += [g.get_absolute_url() for g in Guide.objects.filter(active=True)]
    urls += list({g.platform.get_absolute_url() for g in Guide.objects.select_related("platform")})
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_valid(response.content.decode(), url)
    for url in ["/platforms/nope/", "/me/signin/expired-token/", "/me/signout/", "/nope/"]:
        assert_valid(client.get(url).content.decode(), url)


def test_every_page_needs_at_most_four_assets_besides_itself(content):
    """The weight target (bench/weight.py): at most 5 requests a page, the page included.
    Counted here from the HTML: every stylesheet, script, icon and image it references."""
    client = Client()
    guide = Guide.objects.filter(active=True).first()
    for url in ["/", "/platforms/", guide.get_absolute_url(), "/me/"]:
        html = client.get(url).content.decode()
        refs = set(re.findall(r'<(?:link|script|img)\b[^>]*?(?:href|src)="(/static/[^"]+)"', html))
        assert refs and len(refs) <= 4, (url, sorted(refs))
