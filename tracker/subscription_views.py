"""Views for reminder subscriptions: subscribe, confirm, manage, unsubscribe.

The work is in tracker/subscriptions.py. The unsubscribe URL is the one in every
reminder's List-Unsubscribe header: its POST is RFC 8058 one-click (no cookie, no
CSRF token, 200 without a redirect, idempotent); its GET only shows a button.
"""

from __future__ import annotations

import logging
import smtplib

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from guides.models import Platform
from optout_site.htmx import HtmxHttpRequest
from tracker import emails, ratelimit, subscriptions
from tracker.email_links import LinkError
from tracker.models import Subscription
from tracker.visitors import current_visitor

log = logging.getLogger(__name__)


class PreferencesForm(forms.Form):
    platforms = forms.ModelMultipleChoiceField(
        queryset=Platform.objects.filter(active=True),
        to_field_name="slug",
        error_messages={"required": gettext_lazy("Pick at least one platform to follow.")},
    )
    frequency = forms.ChoiceField(
        choices=Subscription.Frequency.choices, initial=Subscription.Frequency.IMMEDIATE
    )
    recheck_nudges = forms.BooleanField(required=False)


class SubscribeForm(PreferencesForm):
    email = forms.EmailField(max_length=254)


def _choices(selected: set[str]) -> list[tuple[Platform, bool]]:
    return [(p, p.slug in selected) for p in Platform.objects.filter(active=True)]


def _selected_on_get(request: HttpRequest) -> set[str]:
    selected = set()
    visitor = current_visitor(request)
    if visitor is not None:
        selected |= set(visitor.platforms.values_list("slug", flat=True))
    if slug := request.GET.get("platform"):
        selected.add(slug)
    return selected


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
def subscribe(request: HtmxHttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = SubscribeForm(initial={"recheck_nudges": request.GET.get("recheck") == "1"})
        ctx = {"form": form, "subscribe_choices": _choices(_selected_on_get(request))}
        return render(request, "tracker/subscribe.html", ctx)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        posted = set(request.POST.getlist("platforms"))
        ctx = {"form": form, "subscribe_choices": _choices(posted)}
        if request.htmx:
            return render(request, "tracker/subscribe_form.html#subscribe-form", ctx, status=400)
        return render(request, "tracker/subscribe.html", ctx, status=400)
    if not ratelimit.client_allowed(request, ratelimit.SUBSCRIBE_PER_CLIENT):
        return _limited(request, form)
    data = form.cleaned_data
    try:
        subscriptions.request_subscription(
            data["email"],
            list(data["platforms"]),
            data["frequency"],
            data["recheck_nudges"],
            current_visitor(request),
        )
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("confirmation email not sent: %s", exc)
        return render(request, "tracker/subscribe_unavailable.html", status=503)
    if request.htmx:
        return render(request, "tracker/subscribe_form.html#subscribe-done", {"form": form})
    return redirect("tracker:subscribe_sent")


def _limited(request: HtmxHttpRequest, form: SubscribeForm) -> HttpResponse:
    """429: this client asked for too many subscription emails; nothing was sent."""
    ctx = {"form": form, "subscribe_choices": _choices(set(request.POST.getlist("platforms")))}
    if request.htmx:
        return render(request, "tracker/subscribe_limited_card.html", ctx, status=429)
    return render(request, "tracker/subscribe_limited.html", ctx, status=429)


@require_safe
def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "tracker/subscribe_sent.html")


def _link_error(request: HttpRequest, error: LinkError, template: str) -> HttpResponse:
    return render(request, template, {"reason": error.reason}, status=error.status)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    # GET never confirms: mail scanners follow links; only the button's POST does.
    try:
        if request.method != "POST":
            subscriptions.check_confirm_link(token)
            return render(request, "tracker/confirm.html", {"token": token})
        sub = subscriptions.confirm(token, current_visitor(request))
    except LinkError as error:
        return _link_error(request, error, "tracker/confirm_invalid.html")
    messages.success(request, _("Subscription confirmed. Here is what you follow."))
    return redirect("tracker:manage", emails.signed_token(sub, emails.MANAGE_SALT))


@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        sub = subscriptions.from_link(token, emails.MANAGE_SALT)
    except LinkError as error:
        return _link_error(request, error, "tracker/subscription_link_invalid.html")
    unsubscribe_token = emails.signed_token(sub, emails.UNSUBSCRIBE_SALT)
    if request.method == "POST" and request.POST.get("action") == "delete":
        subscriptions.delete(sub)
        return render(request, "tracker/manage_deleted.html")
    selected = {p.slug for p in sub.platforms.all()}
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            subscriptions.update_preferences(
                sub, list(data["platforms"]), data["frequency"], data["recheck_nudges"]
            )
            messages.success(request, _("Your preferences are saved."))
            return redirect("tracker:manage", token)
        selected = set(request.POST.getlist("platforms"))
        status = 400
    else:
        form = PreferencesForm(
            initial={"frequency": sub.frequency, "recheck_nudges": sub.recheck_nudges}
        )
        status = 200
    ctx = {
        "sub": sub,
        "form": form,
        "choices": _choices(selected),
        "unsubscribe_token": unsubscribe_token,
    }
    return render(request, "tracker/manage.html", ctx, status=status)


@csrf_exempt  # RFC 8058: the one-click POST comes from a mail client, without our cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        sub = subscriptions.from_link(token, emails.UNSUBSCRIBE_SALT)
    except LinkError as error:
        return _link_error(request, error, "tracker/subscription_link_invalid.html")
    if request.method != "POST":
        return render(request, "tracker/unsubscribe.html", {"sub": sub, "token": token})
    subscriptions.unsubscribe(sub)
    manage_token = emails.signed_token(sub, emails.MANAGE_SALT)
    return render(request, "tracker/unsubscribe_done.html", {"manage_token": manage_token})
