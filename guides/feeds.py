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

from guides.models import Guide, Platform, PolicyChange, Step


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
        "sources": guide.sources,
        "steps": [
            {
                "key": s.key,
                "title": s.title,
                "path": s.path,
                "link": s.link,
                "end_state": s.end_state,
            }
            for s in guide.active_steps
        ],
    }


@require_safe
def platforms_json(request: HttpRequest) -> JsonResponse:
    """Every active platform with its guides, steps and sources, in four queries."""
    guides = Guide.objects.filter(active=True).prefetch_related(
        Prefetch("steps", queryset=Step.objects.filter(active=True), to_attr="active_steps")
    )
    platforms = Platform.objects.filter(active=True).prefetch_related(
        Prefetch("guides", queryset=guides, to_attr="active_guides")
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
                "guides": [_guide(g) for g in p.active_guides],
            }
            for p in platforms
        ],
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})
