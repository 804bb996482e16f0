"""watcher.fetch against a real local HTTP server playing the official sites."""

from __future__ import annotations

import socket
import threading

import pytest

from guides.domains import registrable_domain
from tests.watcher.server import PERIMETER, PageServer, Reply
from watcher.extract import extract
from watcher.fetch import (
    USER_AGENT,
    FetchResult,
    HostThrottle,
    Outcome,
    fetch,
    site_key,
)

LAST_MODIFIED = "Tue, 03 Mar 2026 10:00:00 GMT"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Shadows tests/conftest.py's Django cache reset: this code never touches Django,
    and these tests must run without Django settings (`-p no:django`)."""


def get(site: PageServer, path: str, **kwargs: object) -> FetchResult:
    kwargs.setdefault("throttle", HostThrottle(0))
    kwargs.setdefault("backoff", 0)
    kwargs.setdefault("timeout", 2)
    kwargs.setdefault("perimeter", PERIMETER)
    return fetch(site.url(path), **kwargs)  # type: ignore[arg-type]


def test_ok_page_returns_body_and_validators(site: PageServer) -> None:
    site.route("/help", Reply(page="help_v1.html", etag='"v1"', last_modified=LAST_MODIFIED))
    result = get(site, "/help")
    assert result.outcome is Outcome.OK
    assert result.status_code == 200
    assert "Data for Generative AI Improvement" in (result.body or "")
    assert (result.etag, result.last_modified) == ('"v1"', LAST_MODIFIED)
    assert result.final_url == site.url("/help")


def test_sends_the_identifying_user_agent(site: PageServer) -> None:
    site.route("/help", Reply(page="help_v1.html"))
    get(site, "/help")
    assert site.hits("/help")[0].headers["User-Agent"] == USER_AGENT


def test_304_on_etag_is_not_modified_without_body(site: PageServer) -> None:
    site.route("/help", Reply(page="help_v1.html", etag='"v1"'))
    first = get(site, "/help")
    again = get(site, "/help", etag=first.etag)
    assert again.outcome is Outcome.NOT_MODIFIED
    assert again.status_code == 304
    assert again.body is None
    assert again.etag == '"v1"'
    assert site.hits("/help")[1].headers["If-None-Match"] == '"v1"'


def test_304_on_if_modified_since_is_not_modified(site: PageServer) -> None:
    site.route("/help", Reply(page="help_v1.html", last_modified=LAST_MODIFIED))
    result = get(site, "/help", last_modified=LAST_MODIFIED)
    assert result.outcome is Outcome.NOT_MODIFIED
    assert result.body is None
    assert site.hits("/help")[0].headers["If-Modified-Since"] == LAST_MODIFIED


def test_changed_page_answers_conditional_request_with_new_body(site: PageServer) -> None:
    site.route("/help", Reply(page="help_v2_default_on.html", etag='"v2"'))
    result = get(site, "/help", etag='"v1"')
    assert result.outcome is Outcome.OK
    assert result.etag == '"v2"'
    assert "On</span> by default" in (result.body or "")


def test_watcher_flow_sees_an_edit_between_versions(site: PageServer) -> None:
    watch = {"select": ["main"], "remove": [".feedback", ".related-articles"]}
    site.route("/help", Reply(page="help_v1.html", etag='"v1"'))
    first = get(site, "/help")
    before = extract(first.body or "", base_url=first.final_url, **watch)
    site.route("/help", Reply(page="help_v2_region.html", etag='"v2"'))
    second = get(site, "/help", etag=first.etag)
    after = extract(second.body or "", base_url=second.final_url, **watch)
    assert second.outcome is Outcome.OK
    assert before.hash != after.hash
    assert "- European Union, EEA and Switzerland" in after.text


@pytest.mark.parametrize("status", [401, 403, 429])
def test_refusal_statuses_are_blocked(site: PageServer, status: int) -> None:
    site.route("/help", Reply(status=status, page="blocked_akamai.html"))
    result = get(site, "/help")
    assert result.outcome is Outcome.BLOCKED
    assert result.status_code == status
    assert len(site.hits("/help")) == 1


def test_bot_wall_served_with_200_is_blocked(site: PageServer) -> None:
    site.route("/help", Reply(page="blocked_akamai.html"))
    assert get(site, "/help").outcome is Outcome.BLOCKED


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=403, page="challenge_cloudflare.html", headers={"cf-mitigated": "challenge"}),
        Reply(status=403, body="<html><body></body></html>", headers={"cf-mitigated": "challenge"}),
        Reply(status=503, page="challenge_cloudflare.html"),
        Reply(status=200, page="challenge_cloudflare.html"),
    ],
    ids=["403-header", "header-only", "503-markers", "200-markers"],
)
def test_challenge_pages_are_challenge(site: PageServer, reply: Reply) -> None:
    site.route("/help", reply)
    result = get(site, "/help")
    assert result.outcome is Outcome.CHALLENGE
    assert len(site.hits("/help")) == 1  # an interstitial is not retried


def test_policy_mentioning_captcha_and_cloudflare_script_is_ok(site: PageServer) -> None:
    site.route("/privacy", Reply(page="privacy_with_captcha.html"))
    assert get(site, "/privacy").outcome is Outcome.OK


@pytest.mark.parametrize(
    "reply", [Reply(body=""), Reply(page="spa_shell.html")], ids=["0-bytes", "js-shell"]
)
def test_200_without_text_is_empty(site: PageServer, reply: Reply) -> None:
    site.route("/privacy", reply)
    assert get(site, "/privacy").outcome is Outcome.EMPTY


def test_hanging_server_is_a_timeout_error(site: PageServer) -> None:
    site.route("/help", Reply(hang=True))
    result = get(site, "/help", timeout=0.5)
    assert result.outcome is Outcome.ERROR
    assert "timeout" in result.error
    assert site.active == 1  # the server still hangs: we gave up first, on our timeout
    assert len(site.hits("/help")) == 1  # a read timeout is not retried


@pytest.mark.parametrize("content_type", ["application/pdf", "application/json", "image/png"])
def test_non_html_is_not_html_and_body_is_not_kept(site: PageServer, content_type: str) -> None:
    site.route(
        "/terms.pdf", Reply(body=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", content_type=content_type)
    )
    result = get(site, "/terms.pdf")
    assert result.outcome is Outcome.NOT_HTML
    assert result.body is None


def test_streamed_huge_page_is_too_large(site: PageServer) -> None:
    site.route("/terms", Reply(size=20_000_000))
    result = get(site, "/terms", max_bytes=1_000_000)
    assert result.outcome is Outcome.TOO_LARGE
    assert result.body is None
    assert site.wait_idle()  # the server's writes failed once we stopped reading
    assert site.streamed < 8_000_000  # stopped reading, did not download 20 MB


def test_declared_huge_page_is_too_large_before_reading(site: PageServer) -> None:
    site.route("/terms", Reply(body="<p>" + "Terms of service. " * 300 + "</p>"))
    assert get(site, "/terms", max_bytes=1000).outcome is Outcome.TOO_LARGE
    assert get(site, "/terms", max_bytes=10_000).outcome is Outcome.OK


def test_redirect_offsite_is_not_followed(site: PageServer) -> None:
    target = "https://login.other.example/sso?next=%2Fhelp"
    site.route("/help", Reply(status=302, redirect=target))
    result = get(site, "/help")
    assert result.outcome is Outcome.REDIRECTED_OFFSITE
    assert result.status_code == 302
    assert target in result.error
    assert result.final_url == site.url("/help")


def test_redirect_within_the_site_is_followed(site: PageServer) -> None:
    site.route("/old-help", Reply(status=301, redirect="/help"))
    site.route("/help", Reply(page="help_v1.html"))
    result = get(site, "/old-help")
    assert result.outcome is Outcome.OK
    assert result.final_url == site.url("/help")


def test_redirect_loop_is_an_error(site: PageServer) -> None:
    site.route("/a", Reply(status=302, redirect="/b"))
    site.route("/b", Reply(status=302, redirect="/a"))
    result = get(site, "/a")
    assert result.outcome is Outcome.ERROR
    assert "redirects" in result.error


def test_transient_503_is_retried_once(site: PageServer) -> None:
    site.route(
        "/help", Reply(status=503, body="<p>Service unavailable</p>"), Reply(page="help_v1.html")
    )
    result = get(site, "/help")
    assert result.outcome is Outcome.OK
    assert len(site.hits("/help")) == 2


def test_persistent_502_is_an_error_after_one_retry(site: PageServer) -> None:
    site.route("/help", Reply(status=502, body="<p>Bad gateway</p>"))
    result = get(site, "/help")
    assert (result.outcome, result.status_code) == (Outcome.ERROR, 502)
    assert len(site.hits("/help")) == 2


def test_404_is_an_error_without_retry(site: PageServer) -> None:
    result = get(site, "/gone")
    assert (result.outcome, result.status_code) == (Outcome.ERROR, 404)
    assert len(site.hits("/gone")) == 1


def test_connection_refused_is_an_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = fetch(
        f"http://127.0.0.1:{port}/help", throttle=HostThrottle(0), backoff=0, perimeter=PERIMETER
    )
    assert result.outcome is Outcome.ERROR
    assert "ConnectionError" in result.error


def test_corrupt_gzip_body_is_an_error(site: PageServer) -> None:
    site.route("/help", Reply(body=b"this is not gzip", headers={"Content-Encoding": "gzip"}))
    result = get(site, "/help")
    assert result.outcome is Outcome.ERROR
    assert "Decod" in result.error


def test_corrupt_html_is_fetched_as_ok(site: PageServer) -> None:
    site.route("/help", Reply(page="corrupt.html"))
    result = get(site, "/help")
    assert result.outcome is Outcome.OK  # judging markup is extract()'s job
    assert "\ufffd" in (result.body or "")  # invalid UTF-8 replaced, not fatal


def test_charset_comes_from_the_meta_tag_when_the_header_has_none(site: PageServer) -> None:
    html = '<html><head><meta charset="iso-8859-1"></head><body><p>Société générale, données</p>'
    site.route("/fr", Reply(body=html.encode("iso-8859-1"), content_type="text/html"))
    assert "Société générale, données" in (get(site, "/fr").body or "")


def test_throttle_allows_one_request_at_a_time_per_host(site: PageServer) -> None:
    site.route("/help", Reply(page="help_v1.html", delay=0.2))
    throttle = HostThrottle(0)
    results: list[FetchResult] = []
    threads = [
        threading.Thread(target=lambda: results.append(get(site, "/help", throttle=throttle)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.outcome for r in results] == [Outcome.OK] * 3
    assert site.max_active == 1


def test_throttle_spaces_requests_to_one_host(site: PageServer) -> None:
    site.route("/help", Reply(page="help_v1.html"))
    slept: list[float] = []
    throttle = HostThrottle(0.3, sleep=slept.append)  # the real clock, a recorded sleep
    get(site, "/help", throttle=throttle)
    assert slept == []
    get(site, "/help", throttle=throttle)
    assert len(site.hits("/help")) == 2
    assert len(slept) == 1 and 0 < slept[0] <= 0.3  # waited out the rest of the delay


def test_throttle_waits_only_for_the_same_host() -> None:
    now = [100.0]
    slept: list[float] = []
    throttle = HostThrottle(5, clock=lambda: now[0], sleep=slept.append)
    with throttle.slot("help.example"):
        pass
    with throttle.slot("other.example"):
        pass
    now[0] += 1
    with throttle.slot("help.example"):
        pass
    assert slept == [4.0]


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("www.linkedin.com", "linkedin.com"),
        ("help.linkedin.com", "linkedin.com"),
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("privacycenter.instagram.com.", "instagram.com"),
        ("127.0.0.1", "127.0.0.1"),
        ("www.amazon.com.au", "amazon.com.au"),
        ("someone.github.io", "someone.github.io"),  # the PSL's private section
    ],
)
def test_registrable_domain(host: str, domain: str) -> None:
    """One throttle slot per site: the registrable domain, or an address as it is."""
    assert site_key(f"https://{host}/page") == domain


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "co.uk", "[::1]", ""])
def test_no_registrable_domain_for_addresses_and_suffixes(host: str) -> None:
    assert registrable_domain(host) is None
