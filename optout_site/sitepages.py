"""The pages that say who we are: about, privacy (generated from tracker.datafacts, the
description the export is built from) and the accessibility statement."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from guides.models import Platform
from tracker import datafacts

# The day the accessibility statement was last reviewed against the site.
ACCESSIBILITY_REVIEWED = dt.date(2026, 12, 1)


@require_safe
def about(request: HttpRequest) -> HttpResponse:
    count = Platform.objects.filter(active=True).count()
    ctx = {
        "platform_count": count,
        "operator": settings.SITE_OPERATOR,
        "watch_hours": settings.WATCH_EVERY_HOURS,
    }
    return render(request, "pages/about.html", ctx)


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    ctx = {
        "records": datafacts.RECORDS,
        "cookies": datafacts.COOKIES,
        "transient": datafacts.TRANSIENT,
        "visitor_days": settings.VISITOR_COOKIE_AGE // 86400,
    }
    return render(request, "pages/privacy.html", ctx)


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html", {"reviewed": ACCESSIBILITY_REVIEWED})
