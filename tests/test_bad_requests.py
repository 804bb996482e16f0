"""Requests the site cannot read get a clear 400 (never a 500), found by fuzzing the
production stack; HEAD answers wherever GET does; sign-in without SMTP is a 503."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import needs
from tests.smtp_sink import SmtpSink, free_port

pytestmark = pytest.mark.django_db

GUIDE = "/platforms/linkedin/generative-ai-training/"
NUL_SESSIONS = ['sessionid="\\000\\000"', 'sessionid="' + "\\000" * 32 + '"']


@pytest.mark.parametrize("cookie", NUL_SESSIONS)
@pytest.mark.parametrize("url", ["/", "/platforms/", GUIDE, "/me/", "/me/signin/"])
def test_a_session_cookie_with_nul_bytes_is_a_400_that_clears_it(content, url, cookie):
    needs("postgresql")  # PostgreSQL is what refuses NUL in text
    response = Client().get(url, headers={"Cookie": cookie})
    assert response.status_code == 400
    assert "a cookie we could not read" in response.content.decode()
    assert response.cookies["sessionid"]["max-age"] == 0  # cleared: the next page works
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_a_post_with_a_nul_session_cookie_is_a_400(content):
    needs("postgresql")
    client = Client(headers={"Cookie": NUL_SESSIONS[1]})
    response = client.post("/me/signin/", {"email": "me@example.org"})
    assert response.status_code == 400


def _form_client(url: str) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    html = client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    return client, token


@pytest.mark.parametrize(
    ("form_page", "action", "fields"),
    [
        ("/me/signin/", "/me/signin/", "email=me%40example.org"),
        (GUIDE, "/me/tick/linkedin/generative-ai-training/open-data-privacy/", "done=1"),
        (GUIDE, "/region/", "region=eu"),
        ("/me/subscribe/", "/me/subscribe/", "email=me%40example.org&platforms=linkedin"),
    ],
)
def test_a_form_post_in_another_charset_is_a_clear_400(content, form_page, action, fields):
    client, token = _form_client(form_page)
    response = client.post(
        action,
        f"{fields}&csrfmiddlewaretoken={token}",
        content_type="application/x-www-form-urlencoded; charset=utf-16",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "UTF-8" in html and "Nothing was changed" in html


def test_the_same_form_post_in_utf8_still_works(content):
    client, token = _form_client("/me/signin/")
    response = client.post(
        "/me/signin/",
        f"email=me%40example.org&csrfmiddlewaretoken={token}",
        content_type="application/x-www-form-urlencoded; charset=UTF-8",
    )
    assert response.status_code == 200


def test_a_bad_request_raised_in_a_view_gets_the_400_page(content):
    client, token = _form_client("/me/signin/")
    fields = "&".join(f"f{i}=x" for i in range(1200))  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    response = client.post(
        "/me/signin/",
        f"{fields}&csrfmiddlewaretoken={token}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "We could not understand that request" in response.content.decode()


# --- HEAD wherever GET ----------------------------------------------------------------

SAMPLES = {
    "slug": "linkedin",
    "platform_slug": "linkedin",
    "guide_slug": "generative-ai-training",
    "step_key": "open-data-privacy",
    "token": "not-a-real-token",
}


def _routes(patterns, prefix: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def get_urls() -> list[str]:
    """Every URL of the URLconf with sample arguments (the admin's own: those without
    arguments), deduplicated."""
    urls = []
    for route in _routes(get_resolver().url_patterns):
        if route.startswith("admin/") and ("<" in route or "^" in route or "(" in route):
            continue
        urls.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLES[m.group(1)], route))
    return sorted(set(urls))


def test_the_url_walk_covers_the_site():
    urls = get_urls()
    for expected in ["/", "/platforms/", "/me/", "/healthz", "/changes.atom", GUIDE, "/admin/"]:
        assert expected in urls
    assert len(urls) > 25


def test_head_answers_wherever_get_does(content):
    checked = []
    for url in get_urls():
        got = Client().get(url)
        if got.status_code == 405:
            continue  # a POST-only URL
        head = Client().head(url)
        assert (url, head.status_code) == (url, got.status_code)
        assert head.content == b""
        checked.append(url)
    assert len(checked) > 20


# --- sign-in without SMTP -------------------------------------------------------------


def test_sign_in_while_smtp_is_down_answers_503_with_a_clear_page(client, content, settings):
    settings.MAILERS = SmtpSink(port=free_port()).mailers  # nobody listens there
    response = client.post("/me/signin/", {"email": "me@example.org"})
    assert response.status_code == 503
    html = response.content.decode()
    assert "could not send the sign-in email" in html
    assert 'href="/me/signin/"' in html
