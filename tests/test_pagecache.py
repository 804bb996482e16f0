"""Whole-page caching: fast for everyone, never one person's page for another, and a
content change visible at once."""

from __future__ import annotations

import io
import random
import re
import shutil
import string

import pytest
import yaml
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guides.models import Step
from tests.conftest import needs

pytestmark = pytest.mark.django_db

GUIDE = "/platforms/linkedin/generative-ai-training/"


def queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def first_step() -> Step:
    return Step.objects.get(key="open-data-privacy", guide__slug="generative-ai-training")


@pytest.mark.parametrize("url", ["/", "/platforms/", "/platforms/linkedin/", GUIDE])
def test_second_visit_is_served_from_cache_without_queries(client, content, url):
    first, html = queries(client, url)
    again, cached = queries(Client(), url)
    assert first > 0 and again == 0
    strip = lambda h: re.sub(r'value="[^"]{64}"', "", h)  # noqa: E731 - csrf tokens differ
    assert strip(html) == strip(cached)


def test_cached_page_carries_a_fresh_working_csrf_token(content):
    Client().get(GUIDE)  # warm the cache with someone else's render
    client = Client(enforce_csrf_checks=True)
    html = client.get(GUIDE).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert "\x00" not in html and len(token) == 64
    response = client.post(
        "/me/tick/linkedin/generative-ai-training/open-data-privacy/",
        {"done": "1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_one_persons_progress_is_never_shown_to_another(content):
    alice, bob = Client(), Client()
    step = first_step()
    alice.post(f"/me/tick/linkedin/{step.guide.slug}/{step.key}/", {"done": "1"})
    bob.post("/me/platforms/reddit/add/")  # bob is a visitor too, with his own stamp
    assert "1 of 3 steps done." in alice.get(GUIDE).content.decode()
    assert "1 of 3 steps done." in alice.get(GUIDE).content.decode()  # cached for alice
    for _ in range(2):
        assert "0 of 3 steps done." in bob.get(GUIDE).content.decode()
    assert "1 of 3 steps done." not in Client().get(GUIDE).content.decode()
    assert ">LinkedIn</a>" not in bob.get("/me/").content.decode()


def test_own_write_is_visible_at_once_on_every_device(content):
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        device.post("/me/signin/", {"email": "me@example.org"})
        link = re.search(r"/me/signin/\S+/", mail.outbox[-1].body).group(0)
        device.post(link)
    assert "0 of 3 steps done." in laptop.get(GUIDE).content.decode()  # now cached
    step = first_step()
    phone.post(f"/me/tick/linkedin/{step.guide.slug}/{step.key}/", {"done": "1"})
    assert "1 of 3 steps done." in laptop.get(GUIDE).content.decode()


def test_synced_content_change_is_visible_at_once(client, content, tmp_path, settings):
    assert "Open your data privacy settings" in client.get(GUIDE).content.decode()
    shutil.copytree(settings.CONTENT_DIR, tmp_path, dirs_exist_ok=True)
    data = yaml.safe_load((tmp_path / "linkedin.yaml").read_text())
    data["guides"][0]["steps"][0]["title"] = "Open Settings and Privacy"
    (tmp_path / "linkedin.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    call_command("sync_guides", "--dir", str(tmp_path), stdout=io.StringIO())
    html = client.get(GUIDE).content.decode()
    assert "Open Settings and Privacy" in html and "Open your data privacy settings" not in html


def test_page_with_a_flash_message_is_not_cached(client, content):
    client.get(GUIDE)
    response = client.post("/me/rechecked/linkedin/generative-ai-training/", follow=True)
    assert "marked as re-checked today" in response.content.decode()
    assert "marked as re-checked today" not in client.get(GUIDE).content.decode()


def test_pages_still_render_when_the_cache_is_down(client, content, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    for url in ["/", "/platforms/", GUIDE, "/me/"]:
        assert client.get(url).status_code == 200


def test_a_hit_keeps_security_headers_and_sets_the_csrf_cookie(content, settings):
    Client().get(GUIDE)  # someone else's render fills the cache
    with CaptureQueriesContext(connection) as ctx:
        response = Client().get(GUIDE, headers={"Accept-Encoding": "identity"})
    assert len(ctx.captured_queries) == 0  # served from cache
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "Cookie" in response["Vary"]
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert cookie.value and token


def test_pages_are_gzip_compressed_for_clients_that_accept_it(client, content):
    response = client.get("/platforms/", headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    again = Client().get("/platforms/", headers={"Accept-Encoding": "gzip"})
    assert again["Content-Encoding"] == "gzip"


def test_cached_page_token_matches_an_existing_csrf_cookie(content):
    Client().get(GUIDE)  # cache filled by someone else
    client = Client(enforce_csrf_checks=True)
    client.get("/me/signin/")  # not cached: Django's own middleware sets the cookie
    secret = client.cookies["csrftoken"].value
    response = client.get(GUIDE)  # a cache hit for this person
    assert "csrftoken" not in response.cookies  # the existing cookie is kept
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert client.cookies["csrftoken"].value == secret
    tick = client.post(
        "/me/tick/linkedin/generative-ai-training/open-data-privacy/",
        {"done": "1", "csrfmiddlewaretoken": token.group(1)},
    )
    assert tick.status_code == 302


def page_entries() -> set[bytes]:
    """The page-cache entries in Redis (the real server: no mock of our own stack)."""
    needs("redis")
    client = cache._cache.get_client()
    return set(client.scan_iter(match="*page:*"))


def junk_query(rng: random.Random) -> str:
    word = lambda: "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(1, 12)))  # noqa: E731
    known = ["q", "category", "region", "difficulty", "kind"]
    pairs = [(rng.choice([*known, word(), "utm_source"]), word()) for _ in range(rng.randint(1, 4))]
    return "&".join(f"{k}={v}" for k, v in pairs)


def test_junk_query_strings_add_no_cache_entries(content):
    client = Client()
    for url in ["/", "/platforms/", "/platforms/linkedin/", GUIDE, "/platforms/?kind=form"]:
        client.get(url)
    before = page_entries()
    assert len(before) == 5
    rng = random.Random(9)
    urls = ["/", "/platforms/", "/platforms/linkedin/", GUIDE, "/me/"]
    for _ in range(200):
        response = Client().get(
            f"{rng.choice(urls)}?{junk_query(rng)}",
            headers={"Cookie": f"region={rng.randbytes(6).hex()}"},
        )
        assert response.status_code in (200, 400)
    assert page_entries() == before


def test_catalog_filters_are_cached_once_whatever_their_order(content):
    first, html = queries(Client(), "/platforms/?region=eu&kind=form")
    again, cached = queries(Client(), "/platforms/?kind=form&region=eu&q=")
    assert first > 0 and again == 0
    assert 'data-platform="linkedin"' in html and 'data-platform="linkedin"' in cached
    submitted = "/platforms/?q=&category=&region=&difficulty=&kind="  # the form, untouched
    assert queries(Client(), submitted)[0] > 0
    assert queries(Client(), submitted)[0] == 0
    assert Client().get("/platforms/?kind=nonsense").status_code == 400


def test_a_search_is_answered_fresh_and_not_stored(content):
    before = page_entries()
    for _ in range(2):
        count, html = queries(Client(), "/platforms/?q=linked")
        assert count > 0 and 'data-platform="linkedin"' in html
    assert page_entries() == before


def test_personal_pages_are_private_and_never_shared(content):
    client = Client()
    step = first_step()
    client.post(f"/me/tick/linkedin/{step.guide.slug}/{step.key}/", {"done": "1"})
    for url in [GUIDE, "/me/"]:
        for _ in range(2):  # rendered, then from the cache
            assert "private" in client.get(url)["Cache-Control"]
    anonymous = Client().get(GUIDE)
    assert "private" not in anonymous.get("Cache-Control", "")
    before = page_entries()
    for _ in range(2):
        assert "private" in Client().get("/me/")["Cache-Control"]
    assert page_entries() == before  # an anonymous dashboard is not kept for others


def test_fresh_csrf_material_uses_the_whole_alphabet_evenly():
    from collections import Counter

    from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token

    from optout_site.pagecache import _masked, _random_chars

    drawn = [_random_chars(32) for _ in range(4000)]
    assert all(len(d) == 32 and set(d) <= set(CSRF_ALLOWED_CHARS) for d in drawn)
    counts = Counter("".join(drawn))
    expected = 4000 * 32 / len(CSRF_ALLOWED_CHARS)
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert all(0.9 * expected < c < 1.1 * expected for c in counts.values()), counts
    secret = drawn[0]
    tokens = {_masked(secret) for _ in range(100)}
    assert len(tokens) == 100 and all(_unmask_cipher_token(t) == secret for t in tokens)
