"""Pages about WHO: ticking steps, "My opt-outs", preferences, sign-in, export and erase."""

from __future__ import annotations

import logging
import smtplib

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from guides.models import Guide, Platform, Step
from guides.schema import Role
from guides.views import remember_region
from optout_site.htmx import HtmxHttpRequest
from optout_site.pagecache import cacheable_page
from optout_site.redirects import safe_next
from tracker import accounts, dashboard, email_links, personal_data, progress, ratelimit
from tracker.forms import DeleteForm, PreferencesForm, SignInForm, TickForm
from tracker.models import EmailToken
from tracker.pages import GUIDE_SLOTS, guide_state, step_links
from tracker.visitors import clear_cookie, current_visitor, ensure_visitor

log = logging.getLogger(__name__)


def _get_step(platform_slug: str, guide_slug: str, step_key: str) -> Step:
    return get_object_or_404(
        Step.objects.select_related("guide__platform"),
        guide__platform__slug=platform_slug,
        guide__platform__active=True,
        guide__slug=guide_slug,
        guide__active=True,
        key=step_key,
        active=True,
    )


@require_POST
def tick(
    request: HtmxHttpRequest, platform_slug: str, guide_slug: str, step_key: str
) -> HttpResponse:
    step = _get_step(platform_slug, guide_slug, step_key)
    form = TickForm(request.POST)
    if not form.is_valid():
        return render(request, "tracker/bad_request.html", {"form": form}, status=400)
    visitor = ensure_visitor(request)  # a forged cookie: 400 from VisitorCookieMiddleware
    progress.set_done(visitor, step, form.cleaned_data["done"])
    guide = step.guide
    if not request.htmx:
        return redirect(f"{guide.get_absolute_url()}#step-{step.key}")
    _, state = guide_state(request, guide)
    context = {
        "step": step,
        "guide": guide,
        "platform": guide.platform,
        "state": state,
        "done_ids": set(state.done_steps),
        "tracking": True,
        "changed_keys": set(),
        "slots": GUIDE_SLOTS,
        **step_links(guide),
    }
    html = render_to_string("guides/guide_detail.html#step-row", context, request)
    html += render_to_string("guides/guide_detail.html#progress", context | {"oob": True}, request)
    # A tick that finishes (or unfinishes) the guide changes its `later` steps' re-check date.
    for later in guide.steps.filter(active=True, role=Role.LATER):
        later_ctx = context | {"step": later, "oob": True}
        html += render_to_string("tracker/step_later.html", later_ctx, request)
    return HttpResponse(html)


@require_POST
def rechecked(request: HttpRequest, platform_slug: str, guide_slug: str) -> HttpResponse:
    """The person looked again after a policy change: their ticks count from now."""
    guide = get_object_or_404(Guide, platform__slug=platform_slug, slug=guide_slug, active=True)
    visitor = current_visitor(request)
    if visitor is not None:
        progress.mark_rechecked(visitor, guide)
    messages.success(request, _("Thanks: marked as re-checked today."))
    return redirect(guide)


@require_safe
@cache_control(private=True)  # the person's own page, even when it is empty
@cacheable_page
def my_opt_outs(request: HttpRequest) -> HttpResponse:
    visitor = current_visitor(request)
    context = dashboard.build(request, visitor)
    context["preferences"] = PreferencesForm(
        initial={
            "region": context["region"] or "",
            "account_type": visitor.account_type if visitor else "personal",
        }
    )
    return render(request, "tracker/dashboard.html", context)


@require_POST
def choose_platform(request: HtmxHttpRequest, slug: str, action: str) -> HttpResponse:
    platform = get_object_or_404(Platform, slug=slug, active=True)
    visitor = ensure_visitor(request)  # a forged cookie: 400 from VisitorCookieMiddleware
    if action == "add":
        visitor.platforms.add(platform)
    else:
        visitor.platforms.remove(platform)
    target = safe_next(request, request.POST.get("next"), reverse("tracker:dashboard"))
    if request.htmx:
        context = {"platform": platform, "on_list": action == "add", "next_url": target}
        return render(request, "tracker/list_button.html", context)
    return HttpResponseRedirect(target)


@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return render(request, "tracker/bad_request.html", {"form": form}, status=400)
    visitor = ensure_visitor(request)  # a forged cookie: 400 from VisitorCookieMiddleware
    visitor.region = form.cleaned_data["region"]
    visitor.account_type = form.cleaned_data["account_type"]
    visitor.save(update_fields=["region", "account_type"])
    response = redirect("tracker:dashboard")
    remember_region(response, visitor.region)
    messages.success(request, _("Your choices were saved."))
    return response


EXPORTS = {
    "json": (personal_data.as_json, "application/json", "optout-my-data.json"),
    "csv": (personal_data.as_csv, "text/csv; charset=utf-8", "optout-progress.csv"),
}


@require_safe
def download(request: HttpRequest, fmt: str) -> HttpResponse:
    build, content_type, filename = EXPORTS[fmt]
    response = HttpResponse(build(request, current_visitor(request)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def delete_everything(request: HttpRequest) -> HttpResponse:
    form = DeleteForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "tracker/delete.html", {"form": form}, status=400)
        personal_data.erase(request, current_visitor(request))
        logout(request)
        response = redirect("tracker:deleted")
        clear_cookie(response)
        remember_region(response, "")
        return response
    return render(request, "tracker/delete.html", {"form": form})


@require_safe
def deleted(request: HttpRequest) -> HttpResponse:
    return render(request, "tracker/deleted.html")


@require_http_methods(["GET", "HEAD", "POST"])
def signin(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request.POST or None)
    if request.method != "POST":
        return render(request, "tracker/signin.html", {"form": form})
    if not form.is_valid():
        return render(request, "tracker/signin.html", {"form": form}, status=400)
    if not ratelimit.client_allowed(request, ratelimit.SIGN_IN_PER_CLIENT):
        return render(request, "tracker/signin.html", {"form": form, "limited": True}, status=429)
    email = form.cleaned_data["email"]
    # Per address, quietly: the answer must not tell whether anything was sent.
    if ratelimit.address_allowed(email, ratelimit.SIGN_IN_PER_ADDRESS):
        try:
            accounts.send_sign_in_link(email, current_visitor(request))
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("sign-in email not sent: %s", exc)
            return render(request, "tracker/signin_unavailable.html", status=503)
    return render(request, "tracker/signin_sent.html", {"email": email})


@require_http_methods(["GET", "HEAD", "POST"])
def signin_link(request: HttpRequest, token: str) -> HttpResponse:
    if request.method != "POST":
        try:
            row = email_links.find(EmailToken.Purpose.SIGN_IN, token)
        except email_links.LinkError:
            return render(request, "tracker/link_invalid.html", status=410)
        return render(request, "tracker/signin_confirm.html", {"email": row.email})
    try:
        accounts.sign_in(request, token)
    except email_links.LinkError:
        return render(request, "tracker/link_invalid.html", status=410)
    messages.success(request, _("You are signed in. Your progress is kept with your account."))
    response = redirect("tracker:dashboard")
    clear_cookie(response)
    return response


@require_POST
def signout(request: HtmxHttpRequest) -> HttpResponse:
    logout(request)
    target = reverse("guides:home")
    response = HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    clear_cookie(response)
    return response
