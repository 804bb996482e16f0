"""Pages about WHAT to do: home, catalog, platform and guide pages, region choice."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from guides import hooks
from guides.catalog import CatalogFilterForm, active_platforms, cache_query, filter_platforms
from guides.deadlines import upcoming_for
from guides.models import Guide, Platform, PolicyChange, Step, live_guide
from guides.regions import REGION_LABELS, chosen_region, region_label
from optout_site.htmx import HtmxHttpRequest
from optout_site.pagecache import cacheable_page
from optout_site.redirects import safe_next


@require_safe
@cacheable_page
def home(request: HttpRequest) -> HttpResponse:
    count = Platform.objects.filter(active=True).count()
    return render(request, "guides/home.html", {"platform_count": count})


@require_http_methods(["GET", "HEAD", "POST"])
def set_region(request: HttpRequest) -> HttpResponse:
    """GET: the region page (linked from every page's header); POST: keep the choice."""
    if request.method != "POST":
        next_url = safe_next(request, request.GET.get("next"), reverse("guides:catalog"))
        return render(request, "guides/region.html", {"next_url": next_url})
    region = request.POST.get("region", "")
    next_url = safe_next(request, request.POST.get("next"), reverse("guides:catalog"))
    if region and region not in REGION_LABELS:
        return render(
            request,
            "guides/region_error.html",
            {"message": _("Please choose one of the listed regions.")},
            status=400,
        )
    response = HttpResponseRedirect(next_url)
    remember_region(response, region)
    return response


def remember_region(response: HttpResponse, region: str) -> None:
    """Keep the chosen region in a cookie (or forget it when empty)."""
    if region:
        response.set_cookie(
            settings.REGION_COOKIE_NAME,
            region,
            max_age=settings.VISITOR_COOKIE_AGE,
            samesite="Lax",
            secure=not settings.DEBUG,
            httponly=True,
        )
    else:
        response.delete_cookie(settings.REGION_COOKIE_NAME, samesite="Lax")


@require_safe
@vary_on_headers("HX-Request")
@cacheable_page(query=cache_query)
def catalog(request: HtmxHttpRequest) -> HttpResponse:
    data = request.GET if request.GET else {"region": chosen_region(request) or ""}
    form = CatalogFilterForm(data)
    status = 200
    if form.is_valid():
        entries = filter_platforms(active_platforms(), **form.cleaned_data)
    else:
        entries, status = [], 400
    context = hooks.extend(hooks.catalog_page, request, {"form": form, "entries": entries})
    template = "guides/catalog.html#results" if request.htmx else "guides/catalog.html"
    return render(request, template, context, status=status)


def _policy_changes():
    return PolicyChange.objects.filter(published_at__isnull=False).prefetch_related(
        Prefetch("affects", queryset=Guide.objects.only("id", "slug", "title", "platform_id"))
    )


@require_safe
@cacheable_page
def platform_detail(request: HttpRequest, slug: str) -> HttpResponse:
    platform = get_object_or_404(
        Platform.objects.prefetch_related(
            Prefetch("guides", queryset=Guide.objects.filter(active=True), to_attr="active_guides"),
            Prefetch("policy_changes", queryset=_policy_changes(), to_attr="changes"),
        ),
        slug=slug,
        active=True,
    )
    return render(request, "guides/platform_detail.html", {"platform": platform})


def guide_context(request: HttpRequest, platform_slug: str, guide_slug: str) -> dict:
    """Everything a guide page shows that is the same for every visitor."""
    guide = live_guide(
        platform_slug,
        guide_slug,
        Guide.objects.select_related("platform").prefetch_related(
            Prefetch("steps", queryset=Step.objects.filter(active=True), to_attr="active_steps"),
        ),
    )
    siblings = list(
        Guide.objects.filter(platform_id=guide.platform_id, active=True)
        .exclude(pk=guide.pk)
        .only("slug", "title", "kind", "platform_id")
    )
    changes = list(_policy_changes().filter(platform_id=guide.platform_id))
    region = chosen_region(request)
    return {
        "guide": guide,
        "platform": guide.platform,
        "steps": guide.active_steps,
        "siblings": siblings,
        "changes": changes,
        "applies": guide.applies_in(region),
        "region_names": [region_label(r) for r in guide.regions],
        "deadlines": upcoming_for(guide),
    }


@require_safe
@cacheable_page
def guide_detail(request: HttpRequest, platform_slug: str, guide_slug: str) -> HttpResponse:
    context = hooks.extend(
        hooks.guide_page, request, guide_context(request, platform_slug, guide_slug)
    )
    return render(request, "guides/guide_detail.html", context)
