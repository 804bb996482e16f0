"""Where a form may send a person back to: only a URL on this site (the safe `next`)."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, target: str | None, fallback: str) -> str:
    """`target` when it is a URL on this host (and scheme), `fallback` otherwise."""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return fallback
