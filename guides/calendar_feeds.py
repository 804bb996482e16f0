"""The public deadline calendars: `/deadlines.ics` and one per platform."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from guides import deadlines
from guides.models import Platform

ICS = "text/calendar; charset=utf-8"


@require_safe
def all_deadlines(request: HttpRequest) -> HttpResponse:
    return HttpResponse(deadlines.feed(), content_type=ICS)


@require_safe
def platform_deadlines(request: HttpRequest, slug: str) -> HttpResponse:
    platform = get_object_or_404(Platform, slug=slug, active=True)
    return HttpResponse(deadlines.feed(platform), content_type=ICS)
