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

CSRF tokens are cut out before storing; every hit gets a freshly masked token (in the
format Django's CSRF middleware checks) and, for a first visit, the CSRF cookie set
as that middleware sets it. Requests with a flash
message pending are never cached nor served from cache.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.cache import patch_vary_headers

from guides.cache import STAMP_KEY, content_stamp, log, safe_set
from guides.hooks import page_cache_person
from optout_site import clock

TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
PLACEHOLDER = b"\x00csrf\x00"
TIMEOUT = 3600
SKIP_HEADERS = {"set-cookie", "content-length"}
_INDEX = {c: i for i, c in enumerate(CSRF_ALLOWED_CHARS)}
_UNIFORM_BELOW = 256 - 256 % len(CSRF_ALLOWED_CHARS)  # keeps each character equally likely


def _random_chars(n: int) -> str:
    """n characters from Django's CSRF alphabet, from one urandom read (Django's
    get_random_string reads the OS once per character, a third of a cached hit)."""
    out: list[str] = []
    while len(out) < n:
        out.extend(
            CSRF_ALLOWED_CHARS[b % len(CSRF_ALLOWED_CHARS)]
            for b in secrets.token_bytes(2 * n)
            if b < _UNIFORM_BELOW
        )
    return "".join(out[:n])


def _masked(secret: str) -> str:
    """A fresh masked token for `secret`, in the format CsrfViewMiddleware unmasks."""
    mask = _random_chars(CSRF_SECRET_LENGTH)
    size = len(CSRF_ALLOWED_CHARS)
    cipher = "".join(
        CSRF_ALLOWED_CHARS[(_INDEX[x] + _INDEX[y]) % size]
        for x, y in zip(secret, mask, strict=True)
    )
    return mask + cipher


def _valid_secret(value: str | None) -> bool:
    return (
        value is not None and len(value) == CSRF_SECRET_LENGTH and all(c in _INDEX for c in value)
    )


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
        clock.today().isoformat(),  # "days left" counts on pages must not freeze
    ]
    return "page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

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
        new_secret = None
        if PLACEHOLDER in body:
            # As CsrfViewMiddleware would: reuse the secret in the cookie, or make one
            # and set the cookie; put a freshly masked token in every form.
            secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
            if not _valid_secret(secret):
                secret = new_secret = _random_chars(CSRF_SECRET_LENGTH)
            body = body.replace(PLACEHOLDER, _masked(secret).encode())
        response = HttpResponse(body)
        for name, value in entry["headers"]:
            response[name] = value
        if new_secret:
            response.set_cookie(
                settings.CSRF_COOKIE_NAME,
                new_secret,
                max_age=settings.CSRF_COOKIE_AGE,
                domain=settings.CSRF_COOKIE_DOMAIN,
                path=settings.CSRF_COOKIE_PATH,
                secure=settings.CSRF_COOKIE_SECURE,
                httponly=settings.CSRF_COOKIE_HTTPONLY,
                samesite=settings.CSRF_COOKIE_SAMESITE,
            )
            patch_vary_headers(response, ("Cookie",))
        return response
