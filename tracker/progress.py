"""A person's progress on guides: ticking steps, and the status derived from ticks.

Status per guide: not started, in progress, done, needs re-check (finished before a
later policy change affecting it), not applicable (region or account type), no
opt-out exists, optional (a route with no `do` step). Only `do` steps count: a guide
is done when they are all ticked; `optional` steps can be ticked but never hold it
back; `later` steps are not ticked at all but become a re-check date once the guide
is done (`recheck_after_days` after it was finished; the re-check nudges email it).
Everything here runs a fixed number of queries whatever the number of guides, steps
and ticks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guides.models import ContentVersion, Guide, PolicyChange, Step
from guides.schema import Role
from tracker.models import Progress, Visitor


class Status(StrEnum):
    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    DONE = "done"
    NEEDS_RECHECK = "needs-recheck"
    NOT_APPLICABLE = "not-applicable"
    NO_OPT_OUT = "no-opt-out"
    OPTIONAL = "optional"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    Status.NOT_STARTED: _("Not started"),
    Status.IN_PROGRESS: _("In progress"),
    Status.DONE: _("Done"),
    Status.NEEDS_RECHECK: _("Needs re-check"),
    Status.NOT_APPLICABLE: _("Not applicable"),
    Status.NO_OPT_OUT: _("No opt-out exists"),
    Status.OPTIONAL: _("Optional"),
}
# Statuses whose steps count towards progress bars; the others are not to do.
COUNTED = {Status.NOT_STARTED, Status.IN_PROGRESS, Status.DONE, Status.NEEDS_RECHECK}


@dataclass(frozen=True)
class StepInfo:
    id: int
    key: str
    title: str
    role: str


@dataclass
class ChangeInfo:
    id: int
    date: dt.date
    title: str
    published_at: dt.datetime


@dataclass
class GuideState:
    guide_id: int
    steps: list[StepInfo] = field(default_factory=list)
    done_steps: dict[int, Progress] = field(default_factory=dict)
    status: Status = Status.NOT_STARTED
    finished_at: dt.datetime | None = None
    recheck_on: dt.date | None = None
    changes_since: list[ChangeInfo] = field(default_factory=list)

    @property
    def do_steps(self) -> list[StepInfo]:
        return [s for s in self.steps if s.role == Role.DO]

    @property
    def later_steps(self) -> list[StepInfo]:
        return [s for s in self.steps if s.role == Role.LATER]

    @property
    def total(self) -> int:
        """The `do` steps: the only ones a guide's progress counts."""
        return len(self.do_steps)

    @property
    def done(self) -> int:
        return sum(1 for s in self.do_steps if s.id in self.done_steps)

    @property
    def counted(self) -> bool:
        return self.status in COUNTED

    @property
    def next_step(self) -> StepInfo | None:
        """The first `do` step not ticked yet."""
        return next((s for s in self.do_steps if s.id not in self.done_steps), None)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def is_done(self, step_id: int) -> bool:
        return step_id in self.done_steps


def _applies(guide: Guide, region: str | None, account_type: str | None) -> bool:
    if region and guide.applies_in(region) is False:
        return False
    return not (account_type and account_type not in guide.account_types)


def _counts_as_later(change: ChangeInfo, finished_at: dt.datetime) -> bool:
    # Recorded after they finished, and not a piece of history from before it.
    return change.published_at > finished_at and change.date >= finished_at.date()


def states_for(
    visitor: Visitor | None,
    guides: list[Guide],
    *,
    region: str | None = None,
    account_type: str | None = None,
) -> dict[int, GuideState]:
    """GuideState for each guide, in three queries (none without a visitor)."""
    ids = [g.pk for g in guides]
    states = {g.pk: GuideState(g.pk) for g in guides}
    if not ids:
        return states
    steps: dict[int, list[StepInfo]] = defaultdict(list)
    for guide_id, *info in (
        Step.objects.filter(guide_id__in=ids, active=True)
        .order_by("guide_id", "position")
        .values_list("guide_id", "id", "key", "title", "role")
    ):
        steps[guide_id].append(StepInfo(*info))
    ticks: dict[int, dict[int, Progress]] = defaultdict(dict)
    changes: dict[int, list[ChangeInfo]] = defaultdict(list)
    if visitor is not None:
        for tick in Progress.objects.filter(
            visitor=visitor, guide_id__in=ids, step__active=True
        ).select_related("step"):
            ticks[tick.guide_id][tick.step_id] = tick
        if ticks:
            rows = PolicyChange.affects.through.objects.filter(
                guide_id__in=list(ticks), policychange__published_at__isnull=False
            ).values_list(
                "guide_id",
                "policychange_id",
                "policychange__date",
                "policychange__title",
                "policychange__published_at",
            )
            for guide_id, *info in rows:
                changes[guide_id].append(ChangeInfo(*info))
    for guide in guides:
        state = states[guide.pk]
        state.steps = steps.get(guide.pk, [])
        state.done_steps = ticks.get(guide.pk, {})
        state.status = _status(guide, state, changes.get(guide.pk, []), region, account_type)
    return states


def _status(
    guide: Guide,
    state: GuideState,
    changes: list[ChangeInfo],
    region: str | None,
    account_type: str | None,
) -> Status:
    # Not applicable first: a route that does not apply is not counted anywhere, even
    # with ticks from before the person changed their region.
    if not _applies(guide, region, account_type):
        return Status.NOT_APPLICABLE
    if not guide.has_steps:
        return Status.NO_OPT_OUT
    if not state.total:
        return Status.OPTIONAL
    if state.done >= state.total:
        state.finished_at = max(state.done_steps[s.id].done_at for s in state.do_steps)
        if state.later_steps and guide.recheck_after_days:
            due = state.finished_at + dt.timedelta(days=guide.recheck_after_days)
            state.recheck_on = timezone.localdate(due)
        state.changes_since = sorted(
            (c for c in changes if _counts_as_later(c, state.finished_at)), key=lambda c: c.date
        )
        return Status.NEEDS_RECHECK if state.changes_since else Status.DONE
    return Status.IN_PROGRESS if state.done else Status.NOT_STARTED


def set_done(visitor: Visitor, step: Step, done: bool) -> None:
    """Tick or untick a step; idempotent (a repeated tick keeps its first time)."""
    if done:
        Progress.objects.get_or_create(
            visitor=visitor,
            step=step,
            defaults={"guide_id": step.guide_id, "version_id": step.guide.version_id},
        )
    else:
        Progress.objects.filter(visitor=visitor, step=step).delete()


def mark_rechecked(visitor: Visitor, guide: Guide) -> None:
    """The person walked the guide again after a change: their ticks count from now."""
    Progress.objects.filter(visitor=visitor, guide=guide).update(
        done_at=timezone.now(), version_id=guide.version_id
    )


def _steps_in(data: dict, guide_slug: str) -> dict[str, dict]:
    for guide in data.get("guides", []):
        if guide["slug"] == guide_slug:
            return {step["key"]: step for step in guide.get("steps", [])}
    return {}


def changed_steps(guide: Guide, state: GuideState) -> set[str]:
    """Keys of ticked steps whose text changed since the content version they were ticked in.

    Two queries at most: the current version and the older versions involved.
    """
    old_ids = {t.version_id for t in state.done_steps.values()} - {None, guide.version_id}
    if not old_ids:
        return set()
    current = _steps_in(guide.version.data, guide.slug)
    old = {
        v.pk: _steps_in(v.data, guide.slug) for v in ContentVersion.objects.filter(pk__in=old_ids)
    }
    changed = set()
    for tick in state.done_steps.values():
        before = old.get(tick.version_id, {}).get(tick.step.key)
        if before is not None and before != current.get(tick.step.key):
            changed.add(tick.step.key)
    return changed
