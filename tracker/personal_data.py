"""Personal data: everything stored about a person, as JSON or CSV; and erasing all of it."""

from __future__ import annotations

import csv
import io
import json
import operator
from functools import reduce

from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from guides.models import Guide
from tracker.models import EmailToken, OutboxEmail, Progress, Subscription, Visitor


def _subscriptions(request: HttpRequest, visitor: Visitor | None):
    query = Subscription.objects.none()
    if visitor is not None:
        query = Subscription.objects.filter(visitor=visitor)
    if request.user.is_authenticated:
        query = query | Subscription.objects.filter(email__iexact=request.user.email)
    return query.distinct().prefetch_related("platforms")


def collect(request: HttpRequest, visitor: Visitor | None) -> dict:
    data: dict = {"exported_at": timezone.now().isoformat(), "visitor": None, "account": None}
    if request.user.is_authenticated:
        data["account"] = {
            "email": request.user.email,
            "joined": request.user.date_joined.isoformat(),
        }
    progress = []
    if visitor is not None:
        data["visitor"] = {
            "id": str(visitor.pk),
            "created_at": visitor.created_at.isoformat(),
            "last_seen_on": visitor.last_seen_on.isoformat(),
            "region": visitor.region,
            "account_type": visitor.account_type,
            "platforms": sorted(visitor.platforms.values_list("slug", flat=True)),
        }
        ticks = Progress.objects.filter(visitor=visitor).select_related(
            "guide__platform", "step", "version"
        )
        progress = [
            {
                "platform": t.guide.platform.slug,
                "guide": t.guide.slug,
                "step": t.step.key,
                "step_title": t.step.title,
                "done_at": t.done_at.isoformat(),
                "content_version": t.version.number if t.version else None,
            }
            for t in ticks.order_by("guide__platform__slug", "guide__slug", "step__position")
        ]
    data["progress"] = progress
    data["region_cookie"] = request.COOKIES.get("region")
    subscriptions = list(_subscriptions(request, visitor))
    data["subscriptions"] = [
        {
            "email": s.email,
            "platforms": sorted(p.slug for p in s.platforms.all()),
            "frequency": s.frequency,
            "recheck_nudges": s.recheck_nudges,
            "created_at": s.created_at.isoformat(),
            "confirmed_at": s.confirmed_at.isoformat() if s.confirmed_at else None,
            "unsubscribed_at": s.unsubscribed_at.isoformat() if s.unsubscribed_at else None,
            "reminders": [
                {
                    "change": r.change.title,
                    "status": r.status,
                    "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                }
                for r in s.reminders.select_related("change")
            ],
        }
        for s in subscriptions
    ]
    data["emails"] = _emails(request, subscriptions)
    return data


def _emails(request: HttpRequest, subscriptions: list[Subscription]) -> list[dict]:
    addresses = {s.email for s in subscriptions}
    if request.user.is_authenticated:
        addresses.add(request.user.email)
    return [
        {"subject": e.subject, "to": e.to, "status": e.status, "sent_at": _iso(e.sent_at)}
        for e in _outbox_emails(addresses).order_by("pk")
    ]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _outbox_emails(addresses: set[str]):
    """Single emails in the outbox (tracker.outbox.put) to any of these addresses."""
    if not addresses:
        return OutboxEmail.objects.none()
    return OutboxEmail.objects.filter(reduce(operator.or_, (Q(to__iexact=a) for a in addresses)))


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
    subscriptions = list(_subscriptions(request, visitor))
    emails = {s.email for s in subscriptions} | ({user.email} if user else set())
    Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).delete()
    if emails:
        EmailToken.objects.filter(
            reduce(operator.or_, (Q(email__iexact=e) for e in emails))
        ).delete()
        _outbox_emails(emails).delete()
    if visitor is not None:
        visitor.delete()
    if user is not None:
        # Sessions cannot be looked up by user: decode the live ones (a rare action).
        user_pk = str(user.pk)
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.get_decoded().get("_auth_user_id") == user_pk:
                session.delete()
        user.delete()
