"""Pages about WHAT to do: home, catalog, platform and guide pages, region choice."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from guides import hooks
from guides.catalog import CatalogFilterForm, active_platforms, filter_platforms
from guides.models import Guide, Platform, PolicyChange, Step
from guides.pagecache import cacheable_page
from guides.regions import REGION_LABELS, chosen_region, region_label
from guides.watch import status_for_guide


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_GET
@cacheable_page
def home(request: HttpRequest) -> HttpResponse:
    count = Platform.objects.filter(active=True).count()
    return render(request, "guides/home.html", {"platform_count": count})


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, {request.get_host()}, request.is_secure()):
        return value
    return reverse("guides:catalog")


@require_http_methods(["GET", "POST"])
def set_region(request: HttpRequest) -> HttpResponse:
    """GET: the region page (linked from every page's header); POST: keep the choice."""
    if request.method == "GET":
        next_url = _safe_next(request, request.GET.get("next"))
        return render(request, "guides/region.html", {"next_url": next_url})
    region = request.POST.get("region", "")
    next_url = _safe_next(request, request.POST.get("next"))
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


@require_GET
@vary_on_headers("HX-Request")
@cacheable_page
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


@require_GET
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
    guide = get_object_or_404(
        Guide.objects.select_related("platform").prefetch_related(
            Prefetch("steps", queryset=Step.objects.filter(active=True), to_attr="active_steps"),
        ),
        platform__slug=platform_slug,
        platform__active=True,
        slug=guide_slug,
        active=True,
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
        "watch_pages": status_for_guide(guide),
    }


@require_GET
@cacheable_page
def guide_detail(request: HttpRequest, platform_slug: str, guide_slug: str) -> HttpResponse:
    context = hooks.extend(
        hooks.guide_page, request, guide_context(request, platform_slug, guide_slug)
    )
    return render(request, "guides/guide_detail.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - report any database failure as such
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.REDIS_URL:
        try:
            cache.set("healthz", "1", timeout=5)
            checks["redis"] = "ok" if cache.get("healthz") == "1" else "error: no round trip"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
