"""Friendly error pages, the same under `make run` (DEBUG) as in production.

- 404: Django renders templates/404.html in production; with DEBUG it would show its
  technical page, so here an unknown address or an Http404 renders the same template.
- 405: `require_POST` and friends answer with an empty body (a blank browser page,
  e.g. a GET on a tick or sign-out URL); here it becomes a page saying what to do.
- 503: the database or Redis being unreachable is not our bug but an outage: a page
  that says so, with Retry-After, rendered without touching the session or database.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

log = logging.getLogger(__name__)

try:  # redis-py is installed with the cache backend; its errors mean an outage too
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    OUTAGES: tuple[type[Exception], ...] = (
        OperationalError,
        InterfaceError,
        RedisConnectionError,
        RedisTimeoutError,
    )
except ImportError:  # pragma: no cover - redis is in requirements.txt
    OUTAGES = (OperationalError, InterfaceError)

RETRY_AFTER = 30


def not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "404.html", status=404)


def not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    response = render(request, "405.html", {"allowed": allowed}, status=405)
    response["Allow"] = allowed
    return response


def unavailable() -> HttpResponse:
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def _unknown_address(request: HttpRequest) -> bool:
    path = request.path_info
    try:
        resolve(path)
    except Resolver404:
        if settings.APPEND_SLASH and not path.endswith("/"):
            try:
                resolve(path + "/")
            except Resolver404:
                return True
            return False  # CommonMiddleware redirects to the address with a slash
        return True
    return False


class ErrorPagesMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG and _unknown_address(request):
            return not_found(request)
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            return not_allowed(request, response.get("Allow", ""))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OUTAGES):
            log.error("service unavailable: %s", exception.__class__.__name__)
            return unavailable()
        if settings.DEBUG and isinstance(exception, Http404):
            return not_found(request)
        return None
