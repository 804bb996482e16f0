"""Pages for letters and requests: write a letter, "I sent it", update a request, and
the personal calendar feed. Letter pages are POST-rendered and never cached: what the
person types goes into the response and nowhere else."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from guides.models import Guide, live_guide
from optout_site import clock
from tracker import calendar, letters, requests
from tracker.pages import effective_region
from tracker.request_forms import LetterForm, SentForm, StatusForm
from tracker.visitors import current_visitor, ensure_visitor


def _guide_and_route(platform_slug: str, guide_slug: str, route_key: str) -> tuple[Guide, dict]:
    guide = live_guide(platform_slug, guide_slug)
    return guide, requests.route_for(guide, route_key)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def letter(request: HttpRequest, platform_slug: str, guide_slug: str, route_key: str):
    guide, route = _guide_and_route(platform_slug, guide_slug, route_key)
    form = LetterForm(request.POST or None, route=route)
    context = {"guide": guide, "platform": guide.platform, "route": route, "form": form}
    if request.method == "GET":
        return render(request, "tracker/letter.html", context)
    if not form.is_valid():
        return render(request, "tracker/letter.html", context, status=400)
    text = letters.render(guide, route, form.cleaned_data, clock.today())
    action = request.POST.get("action", "show")
    if action == "txt":
        response = HttpResponse(text.text, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="letter-{guide.slug}.txt"'
        return response
    region = effective_region(request, current_visitor(request))
    context |= {"letter": text, "sent_form": SentForm(route=route, region=region)}
    template = "tracker/letter_print.html" if action == "print" else "tracker/letter.html"
    return render(request, template, context)


@require_POST
def sent(request: HttpRequest, platform_slug: str, guide_slug: str, route_key: str):
    guide, route = _guide_and_route(platform_slug, guide_slug, route_key)
    form = SentForm(request.POST, route=route)
    if not form.is_valid():
        context = {"guide": guide, "platform": guide.platform, "route": route, "form": None}
        context["sent_form"] = form
        return render(request, "tracker/letter.html", context, status=400)
    visitor = ensure_visitor(request)  # a forged cookie: 400 from VisitorCookieMiddleware
    data = form.cleaned_data
    req = requests.record(
        visitor,
        guide,
        route,
        sent_on=data["sent_on"],
        note=data.get("note", ""),
        authority=data.get("authority", ""),
        ccpa=data.get("ccpa") or requests.CCPA_KNOW_DELETE,
    )
    visitor.platforms.add(guide.platform)
    if req.reply_due:
        messages.success(
            request,
            _("Recorded. Awaiting reply, due %(due)s.") % {"due": f"{req.reply_due:%d %b %Y}"},
        )
    else:
        messages.success(request, _("Recorded as sent."))
    return redirect("tracker:dashboard")


@require_POST
def update(request: HttpRequest, pk: int) -> HttpResponse:
    req = requests.get_request_for_visitor(current_visitor(request), pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return render(request, "tracker/bad_request.html", {"form": form}, status=400)
    if form.cleaned_data["status"] == "extended" and not requests.can_extend(req):
        raise Http404("this request cannot be extended")
    requests.set_status(req, form.cleaned_data["status"])
    messages.success(request, _("Your request was updated."))
    return redirect("tracker:dashboard")


@never_cache
@require_POST
def calendar_link(request: HttpRequest) -> HttpResponse:
    """Make (or replace) the secret calendar address; the old one stops working. The
    address is shown once, in this response; only its hash is stored."""
    visitor = ensure_visitor(request)
    token = calendar.issue(visitor)
    url = request.build_absolute_uri(reverse("tracker:calendar_feed", args=[token]))
    return render(request, "tracker/calendar_ready.html", {"url": url})


@require_POST
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    visitor = current_visitor(request)
    if visitor is not None:
        calendar.revoke(visitor)
    messages.success(request, _("Your calendar address no longer works."))
    return redirect("tracker:dashboard")


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    body = calendar.feed_for_token(token)
    if body is None:
        raise Http404("no such calendar")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
