"""Polite fetching of official policy pages, and classification of what came back.

The watcher must never mistake a failure for a policy change: a bot wall, a
Cloudflare interstitial, an empty JavaScript shell or a timeout all produce text that
differs from last time. So every fetch ends in exactly one `Outcome`, and only
`Outcome.OK` carries a body worth extracting. This module knows nothing of Django;
the watcher tasks call `fetch()` and store the result.

Decisions worth knowing:
- A body larger than `max_bytes` is `too_large` and no body is returned: a truncated
  page would read as a change at the cut.
- Every request passes the perimeter (watcher/perimeter.py): https only, public
  addresses only, no https->http downgrade; anything else is `refused`, unsent.
- Redirects are followed by hand, only within the same registrable domain (from the
  Public Suffix List, guides/domains.py); anything else is `redirected_offsite` and
  not requested.
- A page declared `js: true` is handed to `render` (watcher/render.py: headless
  Chromium) after it was read, and the rendered document is classified instead; every
  request the page makes goes through the same session, perimeter and throttle.
- One fetch at a time per registrable domain (redirect hops, the retry and the body
  read all happen inside one slot of the `HostThrottle`).
- One retry, after `backoff` seconds, for connection errors and 502/503/504. A read
  timeout is not retried: a server that is slow once is asked again at the next run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from guides.domains import registrable_domain
from watcher.classify import classify, decode, is_challenge
from watcher.outcomes import Outcome
from watcher.perimeter import Perimeter, Refused, guard

# (url, html, get) -> rendered html; `get(url)` fetches one resource of the page.
Renderer = Callable[[str, str, "Callable[[str], Resource | None]"], str]
STRICT = Perimeter()

USER_AGENT = "optout_site-watcher/1.0 (+https://optout.example/about/watcher)"
MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({502, 503, 504})
BLOCKED_STATUSES = frozenset({401, 403, 429})
CHUNK = 64 * 1024
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


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


def site_key(url: str) -> str:
    """What one throttle slot covers: the registrable domain, or the host itself."""
    host = (urlsplit(url).hostname or "").lower()
    return registrable_domain(host) or host


def same_site(url_a: str, url_b: str) -> bool:
    return bool(urlsplit(url_a).hostname) and site_key(url_a) == site_key(url_b)


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
    perimeter: Perimeter = STRICT,
    render: Renderer | None = None,
) -> FetchResult:
    """Fetch one page and classify it. Never raises for network or HTTP trouble.

    `etag`/`last_modified` are the validators stored from the last OK fetch; on 304
    they are handed back unchanged so the caller can keep storing them. `session` gets
    the perimeter's guarded adapters mounted.
    """
    started = time.monotonic()
    throttle = throttle or default_throttle
    own_session = session is None
    session = session or requests.Session()
    guard(session, perimeter)
    visit = _Visit(url, session, _headers(etag, last_modified), timeout, backoff, perimeter)
    try:
        with throttle.slot(site_key(url)):
            response = _follow(visit)
            # The body gets its own `timeout`: retries and redirects already took some.
            outcome, body, message = _read(response, max_bytes, time.monotonic() + timeout)
        if outcome is None and render is not None:
            getter = _Resources(visit, throttle, max_bytes).get
            body = render(visit.url, body or "", getter)
        if outcome is None:
            outcome, message = classify(response, body or "")
        headers = response.headers
        return FetchResult(
            outcome, response.status_code, visit.url, body, headers.get("Content-Type"),
            etag=headers.get("ETag") or etag,
            last_modified=headers.get("Last-Modified") or last_modified,
            error=message,
            elapsed=time.monotonic() - started,
        )  # fmt: skip
    except _Failed as failed:
        return _failure(failed.outcome, failed.message, failed.status, visit.url, started)
    except Refused as refused:
        return _failure(Outcome.REFUSED, str(refused)[:300], None, visit.url, started)
    except requests.Timeout:
        return _failure(Outcome.ERROR, "timeout", None, visit.url, started)
    except requests.RequestException as exc:
        return _failure(Outcome.ERROR, f"{type(exc).__name__}: {exc}", None, visit.url, started)
    except RenderError as exc:
        return _failure(Outcome.ERROR, f"render: {exc}"[:300], None, visit.url, started)
    finally:
        if visit.response is not None:
            visit.response.close()
        if own_session:
            session.close()


class RenderError(Exception):
    """The headless browser could not render the page (raised by a Renderer)."""


def _headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
        "Accept-Language": "en",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


@dataclass
class _Visit:
    """One fetch in progress: where it is now, and how it asks."""

    url: str
    session: requests.Session
    headers: dict[str, str]
    timeout: float
    backoff: float
    perimeter: Perimeter
    response: requests.Response | None = None


def _follow(visit: _Visit) -> requests.Response:
    """Request `visit.url`, following same-site redirects inside the perimeter."""
    visit.perimeter.check_url(visit.url)
    for _ in range(MAX_REDIRECTS + 1):
        response = _request_with_retry(visit)
        visit.response = response
        location = response.headers.get("Location")
        if not (response.is_redirect and location):
            return response
        target = urljoin(visit.url, location)
        visit.perimeter.check_url(target, came_from=visit.url)
        if not same_site(visit.url, target):
            raise _Failed(Outcome.REDIRECTED_OFFSITE, f"redirect to {target}", response.status_code)
        response.close()
        visit.url = target
    raise _Failed(Outcome.ERROR, "too many redirects")


@dataclass(frozen=True)
class Resource:
    status: int
    content_type: str
    body: bytes


@dataclass
class _Resources:
    """What a rendered page may load: its own host only, through the same perimeter,
    session, user agent, throttle, timeout and size cap as the page itself."""

    visit: _Visit
    throttle: HostThrottle
    max_bytes: int

    def get(self, url: str) -> Resource | None:
        if (urlsplit(url).hostname or "") != (urlsplit(self.visit.url).hostname or ""):
            return None
        headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Language": "en"}
        try:
            self.visit.perimeter.check_url(url)
            with self.throttle.slot(site_key(url)):
                response = self.visit.session.get(
                    url,
                    headers=headers,
                    timeout=self.visit.timeout,
                    stream=True,
                    allow_redirects=False,
                )
                with response:
                    deadline = time.monotonic() + self.visit.timeout
                    body = _read_capped(response, self.max_bytes, deadline)
        except (Refused, _Failed, requests.RequestException):
            return None
        if body is None:
            return None
        return Resource(response.status_code, response.headers.get("Content-Type", ""), body)


def _failure(
    outcome: Outcome, message: str, status: int | None, url: str, started: float
) -> FetchResult:
    elapsed = time.monotonic() - started
    return FetchResult(outcome, status, url, error=message, elapsed=elapsed)


def _request_with_retry(visit: _Visit) -> requests.Response:
    for attempt in (1, 2):
        try:
            response = visit.session.get(
                visit.url,
                headers=visit.headers,
                timeout=visit.timeout,
                stream=True,
                allow_redirects=False,
            )
        except requests.ConnectionError:
            if attempt == 2:
                raise
        else:
            if response.status_code not in RETRY_STATUSES or attempt == 2:
                return response
            if is_challenge(response, _peek(response)):
                return response  # an interstitial served as 503 will not go away on retry
            response.close()
        time.sleep(visit.backoff)
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
        response._peeked = decode(raw, content_type)  # type: ignore[attr-defined]
    return response._peeked  # type: ignore[attr-defined]


def _read(
    response: requests.Response, max_bytes: int, deadline: float
) -> tuple[Outcome | None, str | None, str]:
    """Status, type and size; None as the outcome when the body is a page to classify."""
    status = response.status_code
    if status == 304:
        return Outcome.NOT_MODIFIED, None, ""
    if status >= 400:
        body = _peek(response)
        if is_challenge(response, body):
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
    return None, decode(raw, content_type), ""


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
