"""Polite fetching of official policy pages, and classification of what came back.

The watcher must never mistake a failure for a policy change: a bot wall, a
Cloudflare interstitial, an empty JavaScript shell or a timeout all produce text that
differs from last time. So every fetch ends in exactly one `Outcome`, and only
`Outcome.OK` carries a body worth extracting. This module knows nothing of Django;
the watcher tasks call `fetch()` and store the result.

Decisions worth knowing:
- A body larger than `max_bytes` is `too_large` and no body is returned: a truncated
  page would read as a change at the cut.
- Redirects are followed by hand, only within the same registrable domain; anything
  else is `redirected_offsite` and not requested.
- One fetch at a time per registrable domain (redirect hops, the retry and the body
  read all happen inside one slot of the `HostThrottle`).
- One retry, after `backoff` seconds, for connection errors and 502/503/504. A read
  timeout is not retried: a server that is slow once is asked again at the next run.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urljoin, urlsplit

import requests
from bs4 import BeautifulSoup

USER_AGENT = "optout_site-watcher/1.0 (+https://optout.example/about/watcher)"
MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({502, 503, 504})
BLOCKED_STATUSES = frozenset({401, 403, 429})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MIN_WORDS = 3  # fewer visible words than this is an empty shell, not a page
CHUNK = 64 * 1024

# Interstitials served by anti-bot services. Some of these names also appear in
# script tags of ordinary pages behind the same service, so a marker only counts on
# an error status or a page with little text (CHALLENGE_MAX_WORDS).
CHALLENGE_MARKERS = (
    "cf_chl_opt",
    "/cdn-cgi/challenge-platform/h/",
    "cf-browser-verification",
    "checking your browser before accessing",
    "enable javascript and cookies to continue",
    'id="px-captcha"',
    "captcha-delivery.com",
    "incapsula incident id",
)
CHALLENGE_MAX_WORDS = 150
# Words that are fine inside a policy ("we use reCAPTCHA") but not as a page title.
CHALLENGE_TITLES = (
    "just a moment",
    "attention required",
    "captcha",
    "are you a robot",
    "verify you are human",
    "security check",
    "pardon our interruption",
    "one more step",
)
BLOCKED_TITLES = ("access denied", "request blocked", "you have been blocked", "forbidden")
# Second-level labels under which registrations happen (co.uk, com.au, ...); an
# approximation of the Public Suffix List, good enough for the pages we watch.
SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


class Outcome(StrEnum):
    """How one check of a watched page ended; only OK is a candidate for a change."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    BLOCKED = "blocked"
    CHALLENGE = "challenge"
    EMPTY = "empty"
    NOT_HTML = "not_html"
    TOO_LARGE = "too_large"
    REDIRECTED_OFFSITE = "redirected_offsite"
    ERROR = "error"
    SELECTOR_MISSING = "selector_missing"  # set by guides.extract, never by fetch()


@dataclass(frozen=True)
class FetchResult:
    outcome: Outcome
    status_code: int | None
    final_url: str
    body: str | None = None  # set when read and within max_bytes; None on 304
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str = ""  # why, for anything but OK and NOT_MODIFIED
    elapsed: float = 0.0  # seconds, retries and redirects included

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


class HostThrottle:
    """One request at a time per key, and at least `min_delay` seconds between them.

    `fetch()` uses the registrable domain as the key, so help.x.com and www.x.com
    share a slot. The lock is per process: share one instance per worker (the
    watcher task module holds it); pass
    `HostThrottle(0)` in tests. The clock and sleep are injectable for unit tests.
    """

    def __init__(
        self,
        min_delay: float = 2.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_delay = min_delay
        self._clock, self._sleep = clock, sleep
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            last = self._last.get(host)
            if last is not None:
                wait = last + self.min_delay - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                yield
            finally:
                # Measured from the end of a request, so a slow host gets more rest.
                self._last[host] = self._clock()


default_throttle = HostThrottle()


def registrable_domain(host: str) -> str:
    """`help.linkedin.com` -> `linkedin.com`, `www.bbc.co.uk` -> `bbc.co.uk`."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return host
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in SECOND_LEVEL and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def same_site(url_a: str, url_b: str) -> bool:
    host_a, host_b = urlsplit(url_a).hostname or "", urlsplit(url_b).hostname or ""
    return bool(host_a) and registrable_domain(host_a) == registrable_domain(host_b)


class _Failed(Exception):
    """Ends a fetch early with an outcome; carries what is known at that point."""

    def __init__(self, outcome: Outcome, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.outcome, self.message, self.status = outcome, message, status


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: float = 10,
    max_bytes: int = 2_000_000,
    session: requests.Session | None = None,
    throttle: HostThrottle | None = None,
    backoff: float = 1.0,
) -> FetchResult:
    """Fetch one page and classify it. Never raises for network or HTTP trouble.

    `etag`/`last_modified` are the validators stored from the last OK fetch; on 304
    they are handed back unchanged so the caller can keep storing them.
    """
    started = time.monotonic()
    throttle = throttle or default_throttle
    own_session = session is None
    session = session or requests.Session()
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        "Accept-Language": "en",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    state = _Visit(url)
    try:
        with throttle.slot(registrable_domain(urlsplit(url).hostname or "")):
            response = _follow(session, state, headers, timeout, backoff)
            # The body gets its own `timeout`: retries and redirects already took some.
            outcome, body, message = _classify(response, max_bytes, time.monotonic() + timeout)
        return FetchResult(
            outcome=outcome,
            status_code=response.status_code,
            final_url=state.url,
            body=body,
            content_type=response.headers.get("Content-Type"),
            etag=response.headers.get("ETag") or etag,
            last_modified=response.headers.get("Last-Modified") or last_modified,
            error=message,
            elapsed=time.monotonic() - started,
        )
    except _Failed as failed:
        return _failure(failed.outcome, failed.message, failed.status, state.url, started)
    except requests.Timeout:
        return _failure(Outcome.ERROR, "timeout", None, state.url, started)
    except requests.RequestException as exc:
        return _failure(Outcome.ERROR, f"{type(exc).__name__}: {exc}", None, state.url, started)
    finally:
        if state.response is not None:
            state.response.close()
        if own_session:
            session.close()


@dataclass
class _Visit:
    url: str
    response: requests.Response | None = None


def _follow(
    session: requests.Session,
    state: _Visit,
    headers: dict[str, str],
    timeout: float,
    backoff: float,
) -> requests.Response:
    """Request `state.url`, following same-site redirects; `state` tracks where we are."""
    for _ in range(MAX_REDIRECTS + 1):
        response = _request_with_retry(session, state.url, headers, timeout, backoff)
        state.response = response
        location = response.headers.get("Location")
        if not (response.is_redirect and location):
            return response
        target = urljoin(state.url, location)
        if not same_site(state.url, target):
            raise _Failed(Outcome.REDIRECTED_OFFSITE, f"redirect to {target}", response.status_code)
        response.close()
        state.url = target
    raise _Failed(Outcome.ERROR, "too many redirects")


def _failure(
    outcome: Outcome, message: str, status: int | None, url: str, started: float
) -> FetchResult:
    elapsed = time.monotonic() - started
    return FetchResult(outcome, status, url, error=message, elapsed=elapsed)


def _request_with_retry(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    timeout: float,
    backoff: float,
) -> requests.Response:
    for attempt in (1, 2):
        try:
            response = session.get(
                url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
            )
        except requests.ConnectionError:
            if attempt == 2:
                raise
        else:
            if response.status_code not in RETRY_STATUSES or attempt == 2:
                return response
            if _is_challenge(response, _peek(response)):
                return response  # an interstitial served as 503 will not go away on retry
            response.close()
        time.sleep(backoff)
    raise AssertionError("unreachable")


def _peek(response: requests.Response) -> str:
    """Read a small error page into the response so it can be inspected twice."""
    if not hasattr(response, "_peeked"):
        raw = b""
        try:
            for chunk in response.iter_content(CHUNK):
                raw += chunk
                if len(raw) > 256 * 1024:
                    break
        except requests.RequestException:
            pass
        content_type = response.headers.get("Content-Type", "")
        response._peeked = _decode(raw, content_type)  # type: ignore[attr-defined]
    return response._peeked  # type: ignore[attr-defined]


def _classify(
    response: requests.Response, max_bytes: int, deadline: float
) -> tuple[Outcome, str | None, str]:
    status = response.status_code
    if status == 304:
        return Outcome.NOT_MODIFIED, None, ""
    if status >= 400:
        body = _peek(response)
        if _is_challenge(response, body):
            return Outcome.CHALLENGE, body, f"HTTP {status} challenge page"
        if status in BLOCKED_STATUSES:
            return Outcome.BLOCKED, body, f"HTTP {status}"
        return Outcome.ERROR, body, f"HTTP {status}"
    if status != 200:
        return Outcome.ERROR, None, f"unexpected HTTP {status}"
    content_type = response.headers.get("Content-Type", "")
    mime = content_type.split(";")[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        return Outcome.NOT_HTML, None, f"content type {mime}"
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        return Outcome.TOO_LARGE, None, f"Content-Length {length} > {max_bytes}"
    raw = _read_capped(response, max_bytes, deadline)
    if raw is None:
        return Outcome.TOO_LARGE, None, f"body exceeds {max_bytes} bytes"
    if not mime and not raw.lstrip().startswith(b"<"):
        return Outcome.NOT_HTML, None, "no content type and not markup"
    body = _decode(raw, content_type)
    words = _word_count(body)
    if _is_challenge(response, body, words):
        return Outcome.CHALLENGE, body, "challenge page"
    if _title(body).startswith(BLOCKED_TITLES):
        return Outcome.BLOCKED, body, "bot wall"
    if words < MIN_WORDS:
        return Outcome.EMPTY, body, "no meaningful text"
    return Outcome.OK, body, ""


def _read_capped(response: requests.Response, max_bytes: int, deadline: float) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            return None
        # The socket timeout is per read; a server trickling bytes needs a total limit.
        if time.monotonic() > deadline:
            raise _Failed(Outcome.ERROR, "timeout while reading the body", response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


_CHARSET_HEADER = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_CHARSET_META = re.compile(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", re.IGNORECASE)


def _decode(raw: bytes, content_type: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    found = _CHARSET_HEADER.search(content_type) or _CHARSET_META.search(raw[:4096])
    charset = found.group(1) if found else "utf-8"
    if isinstance(charset, bytes):
        charset = charset.decode("ascii", errors="replace")
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _is_challenge(response: requests.Response, body: str, words: int | None = None) -> bool:
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    title = _title(body)
    if any(t in title for t in CHALLENGE_TITLES):
        return True
    lowered = body[:200_000].lower()
    if not any(m in lowered for m in CHALLENGE_MARKERS):
        return False
    if response.status_code >= 400:
        return True
    return (words if words is not None else _word_count(body)) <= CHALLENGE_MAX_WORDS


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _title(body: str) -> str:
    found = _TITLE.search(body[:20_000])
    return " ".join(found.group(1).split()).lower() if found else ""


def _word_count(body: str) -> int:
    soup = BeautifulSoup(body, "lxml")
    for tag in soup(["head", "script", "style", "noscript", "template", "svg"]):
        tag.decompose()
    return len(re.findall(r"\w{2,}", soup.get_text(" ")))
