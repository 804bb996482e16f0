"""Whole-page caching that stays personal and honest, served before most of Django runs.

Views opt in with `@cacheable_page`. `PageCacheMiddleware` sits right after whitenoise:
on a hit it answers from one cache round trip, without sessions or templates (and
without URL resolving unless there is a query string); on a miss the page is rendered
by the full stack and stored on its way out, with the headers the other middleware
added (CSP, Vary, framing...).

An entry is keyed by the path, the query in the view's canonical form (see
`cacheable_page`: a query the view does not understand is served uncached), the
region (a known one, else none), htmx or not, and the person
(`tracker.visitors.cache_person`: the signed visitor or signed-in user), and today's
date (guide pages count the days since evidence was checked). Each entry
records the content stamp (changes on every sync and every published policy change)
and the person's own stamp (bumped on each of their writes) it was rendered under; a
hit needs both to be current, and all three are read in one `get_many`. So one
person's page is never served to another, and a content change shows at once.

CSRF tokens are cut out before storing; every hit gets a freshly masked token (in the
format Django's CSRF middleware checks) and, for a first visit, the CSRF cookie set
as that middleware sets it. Requests with a flash message pending, and HEAD requests,
are never cached nor served from cache. A page rendered for a known person is sent
`Cache-Control: private`; a page private for everyone is stored only under a person.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control, patch_vary_headers

from guides.regions import chosen_region
from optout_site import clock
from optout_site.cache import STAMP_KEY, content_stamp, log, safe_set
from tracker.visitors import cache_person

TOKEN = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
PLACEHOLDER = b"\x00csrf\x00"
TIMEOUT = 3600
SKIP_HEADERS = {"set-cookie", "content-length"}
_INDEX = {c: i for i, c in enumerate(CSRF_ALLOWED_CHARS)}
_UNIFORM_BELOW = 256 - 256 % len(CSRF_ALLOWED_CHARS)  # keeps each character equally likely
# Random bytes -> alphabet in C: bytes below _UNIFORM_BELOW map to a character, the
# rest are deleted (so no character is likelier than another).
_TO_CHARS = bytes(
    ord(CSRF_ALLOWED_CHARS[b % len(CSRF_ALLOWED_CHARS)]) if b < _UNIFORM_BELOW else 0
    for b in range(256)
)
_UNEVEN = bytes(range(_UNIFORM_BELOW, 256))


def _random_chars(n: int) -> str:
    """n characters from Django's CSRF alphabet, from one urandom read (Django's
    get_random_string reads the OS once per character, a third of a cached hit)."""
    out = b""
    while len(out) < n:
        out += secrets.token_bytes(2 * n).translate(_TO_CHARS, _UNEVEN)
    return out[:n].decode("ascii")


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


QueryKey = Callable[[QueryDict], str | None]


def no_parameters(params: QueryDict) -> str | None:
    """For pages that read no GET parameter: any query string is served uncached."""
    return "" if not params else None


def cacheable_page(
    view: Callable[..., HttpResponse] | None = None, *, query: QueryKey = no_parameters
):
    """Mark a GET view's 200 responses as the same for everyone with the same key.

    `query` turns the request's GET parameters into the canonical string the entry is
    keyed on, from the parameters the view understands, or None when this query is not
    to be cached (unknown parameters, free text): so the number of entries stays
    bounded whatever query strings arrive. Use as `@cacheable_page` or
    `@cacheable_page(query=...)`.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            request._cacheable_page = True
            return view(request, *args, **kwargs)

        wrapper.page_cache_query = query
        return wrapper

    return decorate(view) if view is not None else decorate


def _canonical_query(request: HttpRequest) -> str | None:
    """ "" without a query string; else the view's canonical form of it, or None."""
    if not request.META.get("QUERY_STRING"):
        return ""
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return None
    normalise = getattr(view, "page_cache_query", None)
    canonical = normalise(request.GET) if normalise else None
    return None if canonical is None else "?" + canonical


def _entry_key(request: HttpRequest, query: str, who: str) -> str:
    parts = [
        request.path + query,
        chosen_region(request) or "",  # only known regions: a junk cookie is no new key
        "htmx" if request.headers.get("HX-Request") else "page",
        who,
        clock.today().isoformat(),  # "days left" and "checked N days ago" must not freeze
    ]
    return "page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _mark_private(request: HttpRequest, response: HttpResponse, who: str) -> HttpResponse:
    """A cacheable page rendered for a known person shows their data: no shared cache
    (a proxy, a CDN) may keep it."""
    if who != "anon" and getattr(request, "_cacheable_page", False):
        patch_cache_control(response, private=True)
    return response


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        who, stamp_key = cache_person(request)
        query = _canonical_query(request)
        if request.method == "HEAD" or query is None or "messages" in request.COOKIES:
            return _mark_private(request, self.get_response(request), who)
        key = _entry_key(request, query, who)
        wanted = [key, STAMP_KEY] + ([stamp_key] if stamp_key else [])
        try:
            found = cache.get_many(wanted)
        except Exception as exc:  # noqa: BLE001 - cache down: render fresh
            log.warning("page cache unavailable: %s", exc.__class__.__name__)
            return _mark_private(request, self.get_response(request), who)
        stamps = (found.get(STAMP_KEY), found.get(stamp_key) if stamp_key else None)
        entry = found.get(key)
        if entry is not None and stamps[0] is not None and entry["stamps"] == stamps:
            return self._replay(request, entry)

        response = _mark_private(request, self.get_response(request), who)
        if getattr(request, "_cacheable_page", False) and stamps[0] is None:
            stamps = (content_stamp(), stamps[1])
        if self._storable(request, response, who) and stamps[0] is not None:
            safe_set(key, self._entry(response, stamps), TIMEOUT)
        return response

    @staticmethod
    def _storable(request: HttpRequest, response: HttpResponse, who: str) -> bool:
        if not getattr(request, "_cacheable_page", False):
            return False
        if response.status_code != 200 or response.streaming:
            return False
        if who == "anon" and "private" in response.get("Cache-Control", ""):
            return False  # private for everyone (the dashboard): kept only under a person
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
