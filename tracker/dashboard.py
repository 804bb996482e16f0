""" "My opt-outs": the person's next step, their platforms with each guide's status and
progress bars, who is signed in, and their subscriptions."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import HttpRequest
from django.urls import reverse

from guides.models import Guide, Platform
from tracker import emails
from tracker.models import Progress, Subscription, Visitor
from tracker.pages import effective_region
from tracker.personal_data import subscriptions_of
from tracker.progress import GuideState, Status, StepInfo, states_for
from tracker.requests_section import requests_section


@dataclass
class Bar:
    done: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def add(self, state: GuideState) -> None:
        if state.counted:
            sent = state.request is not None  # a sent letter finishes the guide
            self.done += state.total if sent else min(state.done, state.total)
            self.total += state.total


@dataclass
class Row:
    platform: Platform
    guides: list[tuple[Guide, GuideState]] = field(default_factory=list)
    bar: Bar = field(default_factory=Bar)
    on_list: bool = False

    @property
    def needs_recheck(self) -> bool:
        return any(s.status == Status.NEEDS_RECHECK for _, s in self.guides)

    @property
    def done(self) -> bool:
        """Every counted guide done (a platform with nothing to do is not "done")."""
        counted = [s for _, s in self.guides if s.counted]
        return bool(counted) and all(s.status == Status.DONE for s in counted)


@dataclass
class NextStep:
    guide: Guide
    step: StepInfo

    @property
    def url(self) -> str:
        return f"{self.guide.get_absolute_url()}#step-{self.step.key}"


@dataclass
class SubscriptionRow:
    subscription: Subscription
    email_shown: str
    manage_url: str | None


def _mask(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}•••@{domain}"


def next_step(rows: list[Row]) -> NextStep | None:
    """The first not-done `do` step of the first unfinished guide, re-checks first."""
    for row in rows:
        for guide, state in row.guides:
            if state.status == Status.NEEDS_RECHECK:
                return NextStep(guide, state.steps[0]) if state.steps else None
    for row in rows:
        for guide, state in row.guides:
            if state.counted and state.next_step is not None:
                return NextStep(guide, state.next_step)
    return None


def subscription_rows(request: HttpRequest, visitor: Visitor | None) -> list[SubscriptionRow]:
    """The person's subscriptions. The manage link only where the address is proven
    theirs (signed in with it): a visitor may have typed someone else's address."""
    signed_in = request.user.email.lower() if request.user.is_authenticated else None
    rows = []
    for sub in subscriptions_of(request, visitor):
        mine = signed_in is not None and sub.email.lower() == signed_in
        url = None
        if mine and sub.confirmed_at:
            url = reverse("tracker:manage", args=[emails.signed_token(sub, emails.MANAGE_SALT)])
        rows.append(SubscriptionRow(sub, sub.email if mine else _mask(sub.email), url))
    return rows


def build(request: HttpRequest, visitor: Visitor | None) -> dict:
    """Rows for every platform on the person's list or with ticks, in constant queries."""
    region = effective_region(request, visitor)
    context = {
        "visitor": visitor,
        "rows": [],
        "overall": Bar(),
        "region": region,
        "my_platforms": [],
        "next_step": None,
        "subscriptions": subscription_rows(request, visitor),
    }
    if visitor is None:
        return context
    chosen = set(visitor.platforms.values_list("pk", flat=True))
    started = set(
        Progress.objects.filter(visitor=visitor).values_list("guide__platform_id", flat=True)
    )
    platforms = list(
        Platform.objects.filter(pk__in=chosen | started, active=True).prefetch_related(
            Prefetch("guides", queryset=Guide.objects.filter(active=True), to_attr="active_guides")
        )
    )
    guides = [g for p in platforms for g in p.active_guides]
    states = states_for(visitor, guides, region=region, account_type=visitor.account_type)
    overall = Bar()
    rows = []
    for platform in platforms:
        row = Row(platform, on_list=platform.pk in chosen)
        for guide in platform.active_guides:
            state = states[guide.pk]
            row.guides.append((guide, state))
            row.bar.add(state)
            overall.add(state)
        rows.append(row)
    rows.sort(key=lambda r: (not r.needs_recheck, r.done, r.platform.name.casefold()))
    my_platforms = [r.platform for r in rows if r.on_list]
    context.update(
        rows=rows,
        overall=overall,
        my_platforms=sorted(my_platforms, key=lambda p: p.name.casefold()),
        next_step=next_step(rows),
    )
    context.update(requests_section(visitor))
    return context
