"""Headless Chromium for watched pages that only show their text with scripts.

Only pages declared `js: true` come here, after watcher/fetch.py read them politely
and inside the perimeter. Chromium is a renderer, never a client of its own: every
request it makes is intercepted, the page itself is answered with the body already
fetched, and scripts or data the page loads from its own host are fetched through the
same session (user agent, timeout, size cap, one request at a time per host, the
perimeter) by `get`. Requests to other hosts, images, fonts, media, stylesheets,
websockets and further navigations are refused, and Chromium's own host resolution
is switched off, so nothing leaves except through the fetcher.

Playwright's sync API runs in a thread of its own, so a caller that already runs an
event loop (a test session driving another browser, a worker) does not get in the way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from watcher.fetch import USER_AGENT, RenderError, Resource

# The flags every headless Chromium here runs with (the browser tests use them too).
CHROMIUM_BASE_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_ARGS = [
    *CHROMIUM_BASE_ARGS,
    "--host-resolver-rules=MAP * ~NOTFOUND",  # every request is answered by us, or fails
]
SKIPPED_TYPES = frozenset({"image", "media", "font", "stylesheet", "manifest", "texttrack"})


@dataclass(frozen=True)
class ChromiumRenderer:
    executable_path: str = "/usr/bin/chromium"
    timeout: float = 15  # seconds for loading the page and its scripts
    max_bytes: int = 3_000_000  # of the rendered document

    def __call__(self, url: str, html: str, get: Callable[[str], Resource | None]) -> str:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(self._render, url, html, get).result()

    def _render(self, url: str, html: str, get: Callable[[str], Resource | None]) -> str:
        from playwright.sync_api import Error, TimeoutError, sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=self.executable_path, args=CHROMIUM_ARGS, headless=True
                )
                try:
                    context = browser.new_context(user_agent=USER_AGENT, service_workers="block")
                    page = context.new_page()
                    page.route_web_socket("**/*", lambda ws: ws.close())
                    page.route("**/*", _Router(url, html, get).handle)
                    page.goto(url, wait_until="load", timeout=self.timeout * 1000)
                    # A page that keeps polling never idles: take what it shows by then.
                    with contextlib.suppress(TimeoutError):
                        page.wait_for_load_state("networkidle", timeout=self.timeout * 1000)
                    content = page.content()
                finally:
                    browser.close()
        except Error as exc:
            raise RenderError(str(exc).splitlines()[0] if str(exc) else "chromium failed") from None
        if len(content.encode("utf-8")) > self.max_bytes:
            raise RenderError(f"rendered page exceeds {self.max_bytes} bytes")
        return content


class _Router:
    """Answers every request Chromium makes (see the module docstring)."""

    def __init__(self, url: str, html: str, get: Callable[[str], Resource | None]) -> None:
        self.url, self.html, self.get = url.split("#")[0], html, get
        self.navigated = False

    def handle(self, route, request) -> None:
        try:
            if request.is_navigation_request():
                if self.navigated or request.url.split("#")[0] != self.url:
                    route.abort()
                    return
                self.navigated = True
                route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self.html)
                return
            if request.resource_type in SKIPPED_TYPES or request.method != "GET":
                route.abort()
                return
            resource = self.get(request.url)
            if resource is None:
                route.abort()
                return
            route.fulfill(
                status=resource.status,
                content_type=resource.content_type or None,
                body=resource.body,
            )
        except Exception:  # noqa: BLE001 - an unanswered route would hang the page
            with contextlib.suppress(Exception):
                route.abort()


def renderer_from_settings() -> ChromiumRenderer:
    from django.conf import settings

    return ChromiumRenderer(
        executable_path=settings.WATCH_CHROMIUM,
        timeout=float(settings.WATCH_TIMEOUT),
        max_bytes=int(settings.WATCH_MAX_BYTES),
    )
