"""Personal data: everything stored about a person, as JSON or CSV; and erasing all of it.

What is stored is described once, in tracker.datafacts (the /privacy/ page lists it).
"""

from __future__ import annotations

import csv
import io
import json
import operator
from functools import reduce

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from guides.models import Guide
from tracker.datafacts import (
    ACCOUNT,
    OUTBOX_EMAIL,
    PROBLEM_REPORT,
    PROGRESS,
    SUBSCRIPTION,
    VISITOR,
)
from tracker.models import EmailToken, OutboxEmail, ProblemReport, Progress, Subscription, Visitor
from tracker.requests_export import export_calendar, export_requests, write_request_rows


def subscriptions_of(request: HttpRequest, visitor: Visitor | None):
    query = Subscription.objects.none()
    if visitor is not None:
        query = Subscription.objects.filter(visitor=visitor)
    if request.user.is_authenticated:
        query = query | Subscription.objects.filter(email__iexact=request.user.email)
    return query.distinct().prefetch_related("platforms")


def reports_of(request: HttpRequest, visitor: Visitor | None):
    """Problem reports that carry this person's visitor or (signed-in) email."""
    query = ProblemReport.objects.none()
    if visitor is not None:
        query = ProblemReport.objects.filter(visitor=visitor)
    if request.user.is_authenticated:
        query = query | ProblemReport.objects.filter(email__iexact=request.user.email)
    return query.distinct().select_related("guide__platform", "step")


def outbox_emails_of(request: HttpRequest, subscriptions: list[Subscription]):
    """Single emails in the outbox (tracker.outbox.put) to this person's addresses."""
    addresses = {s.email for s in subscriptions}
    if request.user.is_authenticated:
        addresses.add(request.user.email)
    if not addresses:
        return OutboxEmail.objects.none()
    return OutboxEmail.objects.filter(reduce(operator.or_, (Q(to__iexact=a) for a in addresses)))


def collect(request: HttpRequest, visitor: Visitor | None) -> dict:
    """The download: every record of tracker.datafacts that concerns this person."""
    data: dict = {"exported_at": timezone.now().isoformat(), "visitor": None, "account": None}
    if request.user.is_authenticated:
        data[ACCOUNT.key] = ACCOUNT.dump(request.user)
    progress = []
    if visitor is not None:
        data[VISITOR.key] = VISITOR.dump(visitor)
        ticks = Progress.objects.filter(visitor=visitor).select_related(
            "guide__platform", "step", "version"
        )
        progress = [
            PROGRESS.dump(t)
            for t in ticks.order_by("guide__platform__slug", "guide__slug", "step__position")
        ]
    data[PROGRESS.key] = progress
    data["region_cookie"] = request.COOKIES.get(settings.REGION_COOKIE_NAME)
    data["requests"] = export_requests(visitor)
    data["calendar"] = export_calendar(visitor)
    subscriptions = list(subscriptions_of(request, visitor))
    data[SUBSCRIPTION.key] = [SUBSCRIPTION.dump(s) for s in subscriptions]
    data[PROBLEM_REPORT.key] = [PROBLEM_REPORT.dump(r) for r in reports_of(request, visitor)]
    emails = outbox_emails_of(request, subscriptions).order_by("pk")
    data[OUTBOX_EMAIL.key] = [OUTBOX_EMAIL.dump(e) for e in emails]
    return data


def as_json(request: HttpRequest, visitor: Visitor | None) -> str:
    return json.dumps(collect(request, visitor), indent=2, ensure_ascii=False)


def as_csv(request: HttpRequest, visitor: Visitor | None) -> str:
    """One row per step of every guide the person has ticked or listed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["platform", "guide", "step", "done", "done_at"])
    if visitor is None:
        return out.getvalue()
    ticks = {t.step_id: t for t in Progress.objects.filter(visitor=visitor).select_related("guide")}
    platform_ids = set(visitor.platforms.values_list("pk", flat=True))
    platform_ids |= {t.guide.platform_id for t in ticks.values()}
    guides = (
        Guide.objects.filter(active=True, platform_id__in=platform_ids)
        .select_related("platform")
        .prefetch_related("steps")
        .order_by("platform__name", "position")
    )
    write_request_rows(writer, visitor)
    for guide in guides:
        for step in guide.steps.all():
            if not step.active:
                continue
            tick = ticks.get(step.pk)
            writer.writerow(
                [
                    guide.platform.name,
                    guide.title,
                    step.title,
                    "yes" if tick else "no",
                    tick.done_at.isoformat() if tick else "",
                ]
            )
    return out.getvalue()


@transaction.atomic
def erase(request: HttpRequest, visitor: Visitor | None) -> None:
    """Delete every row that refers to this person."""
    user = request.user if request.user.is_authenticated else None
    subscriptions = list(subscriptions_of(request, visitor))
    emails = {s.email for s in subscriptions} | ({user.email} if user else set())
    Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).delete()
    ProblemReport.objects.filter(pk__in=[r.pk for r in reports_of(request, visitor)]).delete()
    outbox_emails_of(request, subscriptions).delete()
    if emails:
        EmailToken.objects.filter(
            reduce(operator.or_, (Q(email__iexact=e) for e in emails))
        ).delete()
    if visitor is not None:
        visitor.delete()
    if user is not None:
        # Sessions cannot be looked up by user: decode the live ones (a rare action).
        user_pk = str(user.pk)
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.get_decoded().get("_auth_user_id") == user_pk:
                session.delete()
        user.delete()
