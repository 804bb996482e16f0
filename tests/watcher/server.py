"""A real HTTP server on 127.0.0.1 that plays the official sites for the watcher tests.

Tests tell it, per path, what to answer with a `Reply` (or a sequence of them, one per
request, the last repeating), and read back what it saw in `requests`:

    with PageServer() as site:
        site.route("/help", Reply(page="help_v1.html", etag='"v1"'))
        result = fetch(site.url("/help"), throttle=HostThrottle(0))

Replies can carry a status, headers, a delay, ETag/Last-Modified validators (with real
304 handling of If-None-Match / If-Modified-Since), a redirect, a generated huge body,
or a hang (read the request, never answer) for timeouts. Corpus pages live in pages/.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests

from watcher.perimeter import Perimeter

PAGES = Path(__file__).parent / "pages"
# The server's origin is exempt from the https and public-address rules in tests, as
# WATCH_ALLOWED_TEST_ORIGINS in tests/settings.py makes it for the Django side.
PERIMETER = Perimeter.for_origins(["http://127.0.0.1"])
HTML = "text/html; charset=utf-8"
HOST = "help.example"  # the corpus was recorded from https://help.example


def page(name: str) -> str:
    """A corpus page as text, decoded the way watcher.fetch decodes a broken page."""
    return (PAGES / name).read_bytes().decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Reply:
    status: int = 200
    page: str | None = None  # a file in pages/
    body: str | bytes = b""
    content_type: str | None = HTML
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    etag: str | None = None
    last_modified: str | None = None  # an HTTP date
    redirect: str | None = None  # Location; status should then be a 3xx
    size: int | None = None  # stream a generated HTML body of about this many bytes
    hang: bool = False  # read the request and never answer (until the server stops)


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived


class PageServer:
    def __init__(self) -> None:
        self._routes: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self.requests: list[Seen] = []
        self.active = 0
        self.max_active = 0
        self.streamed = 0  # bytes of generated bodies written
        self._idle = threading.Condition(self._lock)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.page_server = self  # type: ignore[attr-defined]
        self._httpd.daemon_threads = True
        # A short poll keeps shutdown, and so each test's teardown, quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self._routes[path] = list(replies)

    def wait_idle(self, timeout: float = 10) -> bool:
        """Block until no request is being answered (an event, not a sleep)."""
        with self._idle:
            return self._idle.wait_for(lambda: self.active == 0, timeout)

    def hits(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def next_reply(self, path: str) -> Reply | None:
        with self._lock:
            replies = self._routes.get(path)
            if not replies:
                return None
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def __enter__(self) -> PageServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stopping.set()  # releases hanging handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    @property
    def page_server(self) -> PageServer:
        return self.server.page_server  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet

    def do_GET(self) -> None:
        with self.page_server._lock:
            self.page_server.requests.append(Seen(self.path, dict(self.headers), time.monotonic()))
            self.page_server.active += 1
            self.page_server.max_active = max(self.page_server.max_active, self.page_server.active)
        try:
            self._answer(self.page_server.next_reply(self.path))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (size cap, timeout): expected
        finally:
            with self.page_server._lock:
                self.page_server.active -= 1
                self.page_server._idle.notify_all()

    def _answer(self, reply: Reply | None) -> None:
        if reply is None:
            self._send(404, b"<html><body><p>No such page here.</p></body></html>", HTML)
            return
        if reply.hang:
            self.page_server.stopping.wait(30)
            return
        if reply.delay:
            time.sleep(reply.delay)
        validators = {"ETag": reply.etag, "Last-Modified": reply.last_modified}
        headers = {k: v for k, v in validators.items() if v} | reply.headers
        if reply.redirect:
            headers["Location"] = reply.redirect
        if reply.status == 200 and self._not_modified(reply):
            self._send(304, b"", None, headers)
        elif reply.size is not None:
            self._stream(reply.size, headers)
        else:
            # Served as recorded, bytes and all (corrupt.html is not valid UTF-8).
            body = (PAGES / reply.page).read_bytes() if reply.page else reply.body
            data = body.encode("utf-8") if isinstance(body, str) else body
            self._send(reply.status, data, reply.content_type, headers)

    def _not_modified(self, reply: Reply) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if reply.etag and if_none_match:
            return reply.etag in _etags(if_none_match)
        since = self.headers.get("If-Modified-Since")
        if reply.last_modified and since:
            try:
                return parsedate_to_datetime(reply.last_modified) <= parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def _send(
        self,
        status: int,
        data: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, size: int, headers: dict[str, str]) -> None:
        # No Content-Length, so only the client's running count can stop it.
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(b"<!DOCTYPE html><html><body><main>")
        chunk = b"<p>Terms of service, clause repeated to make a huge page.</p>\n" * 1000
        sent = 0
        while sent < size and not self.page_server.stopping.is_set():
            self.wfile.write(chunk)
            sent += len(chunk)
            self.page_server.streamed += len(chunk)
        self.wfile.write(b"</main></body></html>")


def _etags(header: str) -> Sequence[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",")]


class HostsFile(requests.Session):
    """A session that connects to the PageServer for `HOST`, and elsewhere as usual,
    like an /etc/hosts entry: the requests are real HTTP, only the address differs."""

    def __init__(self, site: PageServer) -> None:
        super().__init__()
        self.site = site

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any):
        parts = urlsplit(str(url))
        if parts.hostname == HOST:
            url = self.site.url(parts.path + (f"?{parts.query}" if parts.query else ""))
        return super().request(method, url, *args, **kwargs)
