"""Requests the site cannot read: answered with a clear 400 before anything reads them.

`UnreadableRequestMiddleware` sits right after whitenoise, before the page cache,
sessions and CSRF, and turns away two kinds of request that would otherwise be 500s
on every page: a cookie holding NUL bytes (PostgreSQL refuses them in a session
lookup; Python's cookie parser decodes the quoted octal `"\\000"`), and a form posted
in a charset other than UTF-8 (Django refuses to decode it, inside the CSRF check).
The bad cookies are cleared, so the next page works. `bad_request` is the site's
400 view (`handler400`): unlike Django's default it does not run the CSRF check
again, which would read the same unreadable body a second time.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.shortcuts import render

FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def foreign_charset(request: HttpRequest) -> str | None:
    """The charset of a posted form when it is not UTF-8 (what Django decodes forms as)."""
    if request.content_type not in FORM_TYPES or not request.encoding:
        return None
    try:
        name = codecs.lookup(request.encoding).name
    except LookupError:
        return request.encoding
    return None if name == "utf-8" else request.encoding


class UnreadableRequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # What the inner middleware would add to a page, for the answers given here.
        self.headers = [ContentSecurityPolicyMiddleware(get_response)]
        self.headers.append(XFrameOptionsMiddleware(get_response))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad_cookies = [name for name, value in request.COOKIES.items() if "\x00" in name + value]
        if bad_cookies:
            response = render(request, "400.html", {"reason": "cookie"}, status=400)
            for name in bad_cookies:
                if "\x00" not in name:
                    response.delete_cookie(name)
        elif charset := foreign_charset(request):
            context = {"reason": "charset", "charset": charset[:40]}
            response = render(request, "400.html", context, status=400)
        else:
            return self.get_response(request)
        response["Cache-Control"] = "no-store"
        for middleware in self.headers:
            response = middleware.process_response(request, response)
        return response


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 400 page for a BadRequest raised anywhere (too many fields, a body too big)."""
    return render(request, "400.html", status=400)
