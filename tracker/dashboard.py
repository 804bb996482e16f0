""" "My opt-outs": the person's platforms, each guide's status, and progress bars."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import HttpRequest

from guides.models import Guide, Platform
from tracker.models import Progress, Visitor
from tracker.pages import effective_region
from tracker.progress import GuideState, Status, states_for
from tracker.requests_section import requests_section

COUNTED = {Status.NOT_STARTED, Status.IN_PROGRESS, Status.DONE, Status.NEEDS_RECHECK}


@dataclass
class Bar:
    done: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def add(self, state: GuideState) -> None:
        if state.status in COUNTED:
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


def build(request: HttpRequest, visitor: Visitor | None) -> dict:
    """Rows for every platform on the person's list or with ticks, in constant queries."""
    region = effective_region(request, visitor)
    if visitor is None:
        return {"visitor": None, "rows": [], "overall": Bar(), "region": region, "my_platforms": []}
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
    rows.sort(key=lambda r: (not r.needs_recheck, r.platform.name.casefold()))
    my_platforms = [r.platform for r in rows if r.on_list]
    return {
        **requests_section(visitor),
        "visitor": visitor,
        "rows": rows,
        "overall": overall,
        "region": region,
        "my_platforms": sorted(my_platforms, key=lambda p: p.name.casefold()),
    }
