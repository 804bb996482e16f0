"""The per-person parts of shared pages: ticks on a guide page, "my list" in the catalog.

Registered into `guides.hooks` from `tracker/apps.py`. Each function adds a fixed
number of queries, whatever the number of steps or ticks, and names the tracker
templates that fill the page's slots (guides templates never name tracker URLs).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from guides.regions import chosen_region
from tracker.models import Visitor
from tracker.progress import GuideState, changed_steps, states_for
from tracker.reports import report_url
from tracker.visitors import current_visitor

GUIDE_SLOTS = {
    "header": "tracker/list_button.html",
    "recheck": "tracker/guide_recheck.html",
    "step": "tracker/tick_form.html",
    "subscribe": "tracker/subscribe_form.html",
    "report": "tracker/report_link.html",
}
CATALOG_SLOTS = {"platform": "tracker/catalog_list_button.html"}


def effective_region(request: HttpRequest, visitor: Visitor | None) -> str | None:
    return chosen_region(request) or (visitor.region if visitor else None) or None


def guide_state(request: HttpRequest, guide) -> tuple[Visitor | None, GuideState]:
    visitor = current_visitor(request)
    region = effective_region(request, visitor)
    account_type = visitor.account_type if visitor else None
    state = states_for(visitor, [guide], region=region, account_type=account_type)[guide.pk]
    return visitor, state


def step_links(guide) -> dict:
    """The per-guide links a step row shows: report a problem, remind me to re-check."""
    remind = reverse("tracker:subscribe") + f"?platform={guide.platform.slug}&recheck=1"
    return {"report_url": report_url(guide), "remind_url": remind}


def guide_page_extras(request: HttpRequest, context: dict) -> dict:
    guide = context["guide"]
    visitor, state = guide_state(request, guide)
    my_platforms = list(visitor.platforms.order_by("name")) if visitor else []
    return {
        "tracking": True,
        "state": state,
        "done_ids": set(state.done_steps),
        "changed_keys": changed_steps(guide, state) if state.done_steps else set(),
        "on_list": any(p.pk == guide.platform_id for p in my_platforms),
        "my_platforms": my_platforms,
        "slots": GUIDE_SLOTS,
        **step_links(guide),
    }


def catalog_page_extras(request: HttpRequest, context: dict) -> dict:
    visitor = current_visitor(request)
    ids = set(visitor.platforms.values_list("pk", flat=True)) if visitor else set()
    return {"my_platform_ids": ids, "slots": CATALOG_SLOTS}
