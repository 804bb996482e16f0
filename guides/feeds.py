"""Public, machine-readable views of the content: an Atom feed of policy changes (all
platforms, or one) and a JSON dump of every platform and guide. Same facts as the
pages, for people who follow changes in a feed reader and for other tools."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from guides.models import Deadline, Guide, Platform, PolicyChange, Step


class PolicyChangesFeed(Feed):
    feed_type = Atom1Feed
    subtitle = _("Dated changes to how platforms use personal data to train AI.")

    def get_object(self, request: HttpRequest, slug: str | None = None) -> Platform | None:
        if slug is None:
            return None
        return get_object_or_404(Platform, slug=slug, active=True)

    def link(self, obj: Platform | None) -> str:
        return obj.get_absolute_url() if obj else "/platforms/"

    def title(self, obj: Platform | None) -> str:
        if obj is None:
            return str(
                _("%(site)s: platform policy changes about AI training")
                % {"site": settings.SITE_NAME}
            )
        return str(_("%(name)s: policy changes about AI training") % {"name": obj.name})

    def items(self, obj: Platform | None):
        changes = PolicyChange.objects.filter(published_at__isnull=False).select_related("platform")
        if obj is not None:
            changes = changes.filter(platform=obj)
        return changes.order_by("-date", "-id")[:50]

    def item_title(self, item: PolicyChange) -> str:
        return f"{item.platform.name}: {item.title}"

    def item_description(self, item: PolicyChange) -> str:
        return item.summary

    def item_link(self, item: PolicyChange) -> str:
        return f"{item.platform.get_absolute_url()}#change-{item.pk}"

    def item_pubdate(self, item: PolicyChange) -> dt.datetime:
        return dt.datetime.combine(item.date, dt.time(), tzinfo=dt.UTC)

    def item_updateddate(self, item: PolicyChange) -> dt.datetime:
        # The change's own date, not when the guides were loaded: a feed reader shows
        # "3 Nov 2025", and reloading the content does not make old changes look new.
        return self.item_pubdate(item)


def _source(source: dict) -> dict:
    """A source as the content file states it; every key present, empty when unknown."""
    keys = ("id", "url", "title", "kind", "publisher", "quote", "checked_on", "supports")
    return {key: source.get(key) for key in keys}


def _guide(guide: Guide) -> dict:
    return {
        "slug": guide.slug,
        "title": guide.title,
        "url": settings.SITE_URL + guide.get_absolute_url(),
        "kind": guide.kind,
        "summary": guide.summary,
        "default_state": guide.default_state,
        "covers": guide.covers,
        "does_not_cover": guide.does_not_cover,
        "regions": guide.regions,
        "account_types": guide.account_types,
        "difficulty": guide.difficulty,
        "minutes": guide.minutes,
        "uncertain": guide.uncertain,
        "alternatives": guide.alternatives,
        "sources": [_source(s) for s in guide.sources],
        "confidence": guide.confidence,
        "unconfirmed_facts": guide.unconfirmed_facts,
        "deep_link_reason": guide.deep_link_reason,
        # Letters a person can send (law, recipient, what it asks, regions), as declared.
        "requests": guide.requests,
        "steps": [
            {
                "key": s.key,
                "title": s.title,
                "path": s.path,
                "link": s.link,
                "end_state": s.end_state,
                "source": s.source,
            }
            for s in guide.active_steps
        ],
    }


def _deadline(deadline: Deadline) -> dict:
    return {
        "key": deadline.key,
        "date": deadline.date.isoformat(),
        "title": deadline.title,
        "kind": deadline.kind,
        "affects": deadline.affects,
        "source": deadline.source,
        "quote": deadline.quote,
        "checked_on": deadline.checked_on.isoformat() if deadline.checked_on else None,
    }


@require_safe
def platforms_json(request: HttpRequest) -> JsonResponse:
    """Every active platform with its deadlines, guides, steps, sources and request
    routes, in five queries."""
    guides = Guide.objects.filter(active=True).prefetch_related(
        Prefetch("steps", queryset=Step.objects.filter(active=True), to_attr="active_steps")
    )
    platforms = Platform.objects.filter(active=True).prefetch_related(
        Prefetch("guides", queryset=guides, to_attr="active_guides"),
        Prefetch(
            "deadlines", queryset=Deadline.objects.filter(active=True), to_attr="live_deadlines"
        ),
    )
    data = {
        "generated_at": timezone.now().isoformat(),
        "platforms": [
            {
                "slug": p.slug,
                "name": p.name,
                "category": p.category,
                "website": p.website,
                "summary": p.summary,
                "aliases": p.aliases,
                "deadlines": [_deadline(d) for d in p.live_deadlines],
                "guides": [_guide(g) for g in p.active_guides],
            }
            for p in platforms
        ],
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
