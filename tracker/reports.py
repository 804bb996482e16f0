"""Report a problem: a short form on every guide and step that lands in the editors'
queue (the admin) and emails staff.

No account and no JavaScript needed; CSRF-protected and rate-limited per client
(tracker.ratelimit: a keyed hash in the cache, no address stored). Nothing of a report
is ever shown publicly. A report carries the reporter's visitor when they have one and
their email only if they typed it, so it goes with their export and erase.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from guides.models import Guide, live_guide
from tracker import emails, ratelimit
from tracker.models import ProblemReport
from tracker.visitors import current_visitor

log = logging.getLogger(__name__)

LIMIT, WINDOW = 5, 3600  # reports per client per hour


class ReportForm(forms.Form):
    step = forms.ChoiceField(label=gettext_lazy("Which part is wrong?"), required=False)
    message = forms.CharField(
        label=gettext_lazy("What is wrong?"),
        help_text=gettext_lazy(
            "For example: the setting has moved, a link is broken, a step no longer exists."
        ),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Tell us what is wrong.")},
    )
    email = forms.EmailField(
        label=gettext_lazy("Your email (optional)"),
        help_text=gettext_lazy(
            "Only if you would like a reply. Deleted once the report is resolved."
        ),
        required=False,
        max_length=254,
    )

    def __init__(self, *args, guide: Guide, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.steps = {s.key: s for s in guide.steps.filter(active=True)}
        self.fields["step"].choices = [("", _("The guide as a whole"))] + [
            (s.key, f"{i}. {s.title}") for i, s in enumerate(self.steps.values(), start=1)
        ]


def report_url(guide: Guide) -> str:
    return reverse("reports:new", args=[guide.platform.slug, guide.slug])


def staff_addresses() -> list[str]:
    """STAFF_EMAILS when set; otherwise every active staff user with an address."""
    if settings.STAFF_EMAILS:
        return list(settings.STAFF_EMAILS)
    users = get_user_model().objects.filter(is_staff=True, is_active=True)
    return sorted({e for e in users.values_list("email", flat=True) if e})


@require_http_methods(["GET", "HEAD", "POST"])
def new_report(request: HttpRequest, platform_slug: str, guide_slug: str) -> HttpResponse:
    guide = live_guide(platform_slug, guide_slug)
    initial = {"step": request.GET.get("step", "")}
    form = ReportForm(request.POST or None, guide=guide, initial=initial)
    ctx = {"guide": guide, "platform": guide.platform, "form": form}
    if request.method != "POST":
        return render(request, "tracker/report.html", ctx)
    if not form.is_valid():
        return render(request, "tracker/report.html", ctx, status=400)
    if not ratelimit.allow(
        "report-client", ratelimit.client_key(request), limit=LIMIT, window=WINDOW
    ):
        return render(request, "tracker/report.html", ctx | {"limited": True}, status=429)
    data = form.cleaned_data
    report = ProblemReport.objects.create(
        guide=guide,
        step=form.steps.get(data["step"]),
        message=data["message"].strip(),
        email=data["email"],
        visitor=current_visitor(request),
    )
    transaction.on_commit(lambda: _enqueue(report.pk))
    messages.success(
        request,
        _("Thank you: an editor will check this guide. Nothing you wrote is shown publicly."),
    )
    return redirect(guide)


def _enqueue(report_id: int) -> None:
    from tracker.tasks import enqueue, notify_problem_report

    enqueue(notify_problem_report, report_id)


def notify_staff(report_id: int) -> int:
    """Email staff about one report, once (claimed by setting notified_at). A mail
    failure is logged, not retried: the queue in the admin is the truth."""
    claimed = ProblemReport.objects.filter(pk=report_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    report = (
        ProblemReport.objects.select_related("guide__platform", "step").filter(pk=report_id).first()
    )
    if not claimed or report is None:
        return 0
    path = reverse("admin:tracker_problemreport_change", args=[report.pk])
    ctx = {
        "report": report,
        "review_url": emails.absolute(path),
        "guide_url": emails.absolute(report.guide.get_absolute_url()),
    }
    sent = 0
    for address in staff_addresses():
        try:
            sent += emails.make_message("problem-report", address, ctx).send()
        except Exception:  # noqa: BLE001 - the admin queue still holds the report
            log.exception("problem report %s: could not email %s", report_id, "staff")
    if not sent:
        log.warning("problem report %s: no staff address was emailed", report_id)
    return sent


def resolve(report_ids: list[int]) -> int:
    """Mark reports resolved; the reporter's email goes with it (we kept it for a reply)."""
    return ProblemReport.objects.filter(pk__in=report_ids, status=ProblemReport.Status.NEW).update(
        status=ProblemReport.Status.RESOLVED, resolved_at=timezone.now(), email=""
    )
