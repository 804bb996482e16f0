"""Whole-page caching that stays personal and honest.

A cached page is keyed by: the URL with its query, the content stamp (changes on every
sync or published policy change), the region cookie, htmx or not, and a person key
supplied by hooks (tracker: the signed visitor id or signed-in user plus that
person's own progress stamp, bumped on every write). So one person's page is never
served to another, and a content change is visible at once.

CSRF tokens are cut out before storing and a fresh one is put in on every hit, so
cached pages carry working forms and set the CSRF cookie as usual. Pages with a
flash message pending are never cached or served from cache.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from guides.cache import content_stamp, safe_get, safe_set
from guides.hooks import page_cache_key

TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
PLACEHOLDER = "\x00csrf\x00"
TIMEOUT = 3600


def _key(request: HttpRequest) -> str:
    parts = [
        request.get_full_path(),
        content_stamp(),
        request.COOKIES.get(settings.REGION_COOKIE_NAME, ""),
        "htmx" if request.headers.get("HX-Request") else "page",
        *(hook(request) for hook in page_cache_key),
    ]
    return "page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _cacheable(request: HttpRequest) -> bool:
    return request.method in {"GET", "HEAD"} and "messages" not in request.COOKIES


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        stored = safe_get(key)
        if stored is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming or response.cookies:
                return response
            body = TOKEN.sub(rf"\g<1>{PLACEHOLDER}\g<2>", response.content.decode())
            stored = (body, response["Content-Type"], response.get("Vary", ""))
            safe_set(key, stored, TIMEOUT)
        body, content_type, vary = stored
        if PLACEHOLDER in body:
            body = body.replace(PLACEHOLDER, get_token(request))
        response = HttpResponse(body, content_type=content_type)
        if vary:
            response["Vary"] = vary
        return response

    return wrapper
