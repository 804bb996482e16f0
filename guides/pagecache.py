"""Whole-page caching that stays personal and honest, served before most of Django runs.

Views opt in with `@cacheable_page`. `PageCacheMiddleware` sits right after whitenoise:
on a hit it answers from one cache round trip, without sessions, URL resolving or
templates; on a miss the page is rendered by the full stack and stored on its way out,
with the headers the other middleware added (CSP, Vary, framing...).

An entry is keyed by the URL with its query, the region cookie, htmx or not, and the
person (from hooks: tracker names the signed visitor or signed-in user). Each entry
records the content stamp (changes on every sync and every published policy change)
and the person's own stamp (bumped on each of their writes) it was rendered under; a
hit needs both to be current, and all three are read in one `get_many`. So one
person's page is never served to another, and a content change shows at once.

CSRF tokens are cut out before storing; every hit gets a fresh masked token and the
CSRF cookie exactly as Django's CSRF middleware would set it. Requests with a flash
message pending are never cached nor served from cache.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token

from guides.cache import STAMP_KEY, content_stamp, log, safe_set
from guides.hooks import page_cache_person

TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
PLACEHOLDER = b"\x00csrf\x00"
TIMEOUT = 3600
SKIP_HEADERS = {"set-cookie", "content-length"}


def cacheable_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a GET view's 200 responses as the same for everyone with the same key."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request._cacheable_page = True
        return view(request, *args, **kwargs)

    return wrapper


def _person(request: HttpRequest) -> tuple[str, str | None]:
    for hook in page_cache_person:
        return hook(request)
    return "anon", None


def _entry_key(request: HttpRequest, who: str) -> str:
    parts = [
        request.get_full_path(),
        request.COOKIES.get(settings.REGION_COOKIE_NAME, ""),
        "htmx" if request.headers.get("HX-Request") else "page",
        who,
    ]
    return "page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or "messages" in request.COOKIES:
            return self.get_response(request)
        who, stamp_key = _person(request)
        key = _entry_key(request, who)
        wanted = [key, STAMP_KEY] + ([stamp_key] if stamp_key else [])
        try:
            found = cache.get_many(wanted)
        except Exception as exc:  # noqa: BLE001 - cache down: render fresh
            log.warning("page cache unavailable: %s", exc.__class__.__name__)
            return self.get_response(request)
        stamps = (found.get(STAMP_KEY), found.get(stamp_key) if stamp_key else None)
        entry = found.get(key)
        if entry is not None and stamps[0] is not None and entry["stamps"] == stamps:
            return self._replay(request, entry)

        response = self.get_response(request)
        if getattr(request, "_cacheable_page", False) and stamps[0] is None:
            stamps = (content_stamp(), stamps[1])
        if self._storable(request, response) and stamps[0] is not None:
            safe_set(key, self._entry(response, stamps), TIMEOUT)
        return response

    @staticmethod
    def _storable(request: HttpRequest, response: HttpResponse) -> bool:
        if not getattr(request, "_cacheable_page", False):
            return False
        if response.status_code != 200 or response.streaming:
            return False
        return set(response.cookies) <= {settings.CSRF_COOKIE_NAME}

    @staticmethod
    def _entry(response: HttpResponse, stamps: tuple) -> dict:
        headers = [(k, v) for k, v in response.items() if k.lower() not in SKIP_HEADERS]
        body = TOKEN.sub(rb"\g<1>" + PLACEHOLDER + rb"\g<2>", response.content)
        return {"stamps": stamps, "headers": headers, "body": body}

    def _replay(self, request: HttpRequest, entry: dict) -> HttpResponse:
        body = entry["body"]
        if PLACEHOLDER in body:
            # As CsrfViewMiddleware would: read the cookie, mask a fresh token, and set
            # the cookie on the way out when it is new.
            self.csrf.process_request(request)
            body = body.replace(PLACEHOLDER, get_token(request).encode())
        response = HttpResponse(body)
        for name, value in entry["headers"]:
            response[name] = value
        if PLACEHOLDER in entry["body"]:
            self.csrf.process_response(request, response)
        return response
