"""Who is asking: the anonymous visitor behind a signed cookie, or a signed-in account.

A visitor is created on the first write (a tick, a choice), never on a plain page
view. Once a visitor belongs to an account, only the authenticated session gives
access to it; the cookie alone no longer does.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from optout_site.cache import safe_set
from tracker.models import Progress, Visitor

COOKIE_SALT = "tracker.visitor"
_UNSET = object()


class BadVisitorCookie(Exception):
    """The visitor cookie is present but its signature does not verify."""


def _from_cookie(request: HttpRequest) -> Visitor | None:
    name = settings.VISITOR_COOKIE_NAME
    if name not in request.COOKIES:
        return None
    try:
        raw = request.get_signed_cookie(name, salt=COOKIE_SALT)
    except signing.BadSignature:
        raise BadVisitorCookie from None
    return Visitor.objects.filter(pk=raw, user__isnull=True).first() if _is_uuid(raw) else None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def current_visitor(request: HttpRequest, *, strict: bool = False) -> Visitor | None:
    """The visitor for this request, or None. Cached on the request.

    With `strict`, a forged cookie raises BadVisitorCookie (writes answer 400);
    otherwise it is treated as no cookie (pages still render).
    """
    cached = getattr(request, "_visitor", _UNSET)
    if cached is not _UNSET and not (strict and getattr(request, "_bad_cookie", False)):
        return cached
    visitor = None
    if request.user.is_authenticated:
        visitor = Visitor.objects.filter(user=request.user).first()
    else:
        try:
            visitor = _from_cookie(request)
        except BadVisitorCookie:
            request._bad_cookie = True
            if strict:
                raise
    request._visitor = visitor
    return visitor


def ensure_visitor(request: HttpRequest) -> Visitor:
    """The visitor for this request, created on first use (the cookie is set on the way out)."""
    visitor = current_visitor(request, strict=True)
    if visitor is None:
        if request.user.is_authenticated:
            visitor, _ = Visitor.objects.get_or_create(user=request.user)
        else:
            visitor = Visitor.objects.create()
            request._set_visitor_cookie = visitor
        request._visitor = visitor
    return visitor


def set_cookie(response: HttpResponse, visitor: Visitor) -> None:
    response.set_signed_cookie(
        settings.VISITOR_COOKIE_NAME,
        str(visitor.pk),
        salt=COOKIE_SALT,
        max_age=settings.VISITOR_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=not settings.DEBUG,
    )


def clear_cookie(response: HttpResponse) -> None:
    response.delete_cookie(settings.VISITOR_COOKIE_NAME, samesite="Lax")


class VisitorCookieMiddleware:
    """Sets the cookie for a visitor created during the request; refreshes last_seen_on;
    after any unsafe request, bumps the person's page-cache stamp."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        writes = request.method not in SAFE_METHODS
        before = person(request) if writes else None
        response = self.get_response(request)
        if writes:
            # Any write may change what this person's cached pages show (sign-in too).
            bump_person(before)
            bump_person(person(request))
        new = getattr(request, "_set_visitor_cookie", None)
        if new is not None:
            set_cookie(response, new)
        visitor = getattr(request, "_visitor", None)
        today = timezone.localdate()
        if visitor is not None and visitor.last_seen_on != today:
            Visitor.objects.filter(pk=visitor.pk).update(last_seen_on=today)
            if visitor.user_id is None and new is None:
                set_cookie(response, visitor)  # a year from the last visit, not the first
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A write with a forged visitor cookie: a clear 400 that saves nothing, and the
        bad cookie cleared, for every view that calls ensure_visitor()."""
        if not isinstance(exception, BadVisitorCookie):
            return None
        response = render(request, "tracker/bad_cookie.html", status=400)
        clear_cookie(response)
        return response


def purge_stale() -> int:
    """Delete anonymous visitors not seen for longer than their cookie lives."""
    cutoff = timezone.localdate() - dt.timedelta(seconds=settings.VISITOR_COOKIE_AGE)
    deleted, _ = Visitor.objects.filter(user__isnull=True, last_seen_on__lt=cutoff).delete()
    return deleted


@transaction.atomic
def merge_into(source: Visitor, target: Visitor) -> None:
    """Move everything of `source` into `target`: union of ticks, newest time wins.

    Nothing is lost: a tick only `source` has moves over; a tick both have keeps the
    later time. Chosen platforms are united; a region or account type the target
    lacks is taken from the source. Then `source` is deleted.
    """
    if source.pk == target.pk:
        return
    theirs = {p.step_id: p for p in Progress.objects.filter(visitor=source)}
    ours = {p.step_id: p for p in Progress.objects.filter(visitor=target, step_id__in=theirs)}
    for step_id, tick in theirs.items():
        mine = ours.get(step_id)
        if mine is None:
            continue
        if tick.done_at > mine.done_at:
            mine.done_at, mine.version_id = tick.done_at, tick.version_id
            mine.save(update_fields=["done_at", "version"])
        tick.delete()
    Progress.objects.filter(visitor=source).update(visitor=target)
    target.platforms.add(*source.platforms.all())
    changed = []
    if not target.region and source.region:
        target.region = source.region
        changed.append("region")
    if changed:
        target.save(update_fields=changed)
    source.subscriptions.update(visitor=target)
    source.delete()


PERSON_STAMP = "tracker:person-stamp:{}"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def person(request: HttpRequest) -> str:
    """Whose page this is: a signed-in user, a signed visitor cookie, or anon.

    Works before the auth middleware has run too (the page cache asks first): then the
    session named by the cookie is read directly.
    """
    user = getattr(request, "user", None)
    if user is not None:
        if user.is_authenticated:
            return f"u{user.pk}"
    elif session_key := request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        user_id = import_module(settings.SESSION_ENGINE).SessionStore(session_key).get(SESSION_KEY)
        if user_id:
            return f"u{user_id}"
    raw = request.get_signed_cookie(settings.VISITOR_COOKIE_NAME, default=None, salt=COOKIE_SALT)
    return f"v{raw}" if raw else "anon"


def cache_person(request: HttpRequest) -> tuple[str, str | None]:
    """For optout_site.pagecache: the person, and the key of the stamp bumped on their writes."""
    who = person(request)
    return (who, None) if who == "anon" else (who, PERSON_STAMP.format(who))


def bump_person(who: str) -> None:
    if who != "anon":
        safe_set(PERSON_STAMP.format(who), str(time.time_ns()), settings.VISITOR_COOKIE_AGE)
