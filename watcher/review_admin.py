"""The review queue of detected changes in the Django admin (registered by
watcher/admin.py): an editor reads the diff (side by side or unified, keywords
highlighted by the one matcher in watcher/diff.py, the guides that cite the page) and
records the change as a policy change (publishing it starts the reminders) or
dismisses it.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from guides.models import Guide
from watcher import review
from watcher.diff import KeywordMatcher, highlight, side_by_side, word_diff
from watcher.models import DetectedChange
from watcher.pages import citing_guides


def _side_rows(change: DetectedChange) -> list[dict]:
    old = change.old_snapshot.text if change.old_snapshot else ""
    matcher = KeywordMatcher(change.page.keywords)
    rows = []
    for row in side_by_side(old, change.new_snapshot.text, context=3):
        if row.kind == "changed":
            left, right = word_diff(row.left or "", row.right or "", matcher)
        else:
            left = highlight(row.left, matcher) if row.left is not None else ""
            right = highlight(row.right, matcher) if row.right is not None else ""
        rows.append({"row": row, "left": left, "right": right})
    return rows


def _unified_rows(change: DetectedChange) -> list[dict]:
    kinds = {"+": "added", "-": "deleted", "@": "hunk", " ": "equal"}
    matcher = KeywordMatcher(change.page.keywords)
    return [
        {"kind": kinds.get(line[:1], "equal"), "html": highlight(line, matcher)}
        for line in change.diff.splitlines()[2:]
    ]


class RecordForm(forms.Form):
    title = forms.CharField(max_length=200)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    summary = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 6}))
    affects = forms.ModelMultipleChoiceField(
        queryset=Guide.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The guides whose followers should re-check.",
    )
    source = forms.URLField(max_length=500, required=False, assume_scheme="https")

    def __init__(self, *args, change: DetectedChange, guides: list[Guide], **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "title": review.suggested_title(change),
                "date": timezone.localdate(change.detected_at),
                "summary": review.suggested_summary(change),
                "affects": [g.pk for g in citing_guides(change.page, guides)],
                "source": change.page.url,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["affects"].queryset = Guide.objects.filter(pk__in=[g.pk for g in guides])


class QueueFilter(admin.SimpleListFilter):
    """Pending first: the queue opens on what needs a decision."""

    title = "status"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [*DetectedChange.Status.choices, ("all", "All")]

    def value(self):
        return super().value() or DetectedChange.Status.PENDING

    def queryset(self, request, queryset):
        return queryset if self.value() == "all" else queryset.filter(status=self.value())

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


class DetectedChangeAdmin(admin.ModelAdmin):
    list_display = ["detected_at", "platform", "page_title", "keywords", "status"]
    list_filter = [QueueFilter, "page__platform"]
    list_select_related = ["page__platform"]
    search_fields = ["page__title", "page__url", "diff"]
    actions = ["dismiss_selected"]
    review_template = "admin/watcher/detectedchange/review.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="platform", ordering="page__platform__name")
    def platform(self, obj: DetectedChange) -> str:
        return obj.page.platform.name

    @admin.display(description="page", ordering="page__title")
    def page_title(self, obj: DetectedChange) -> str:
        return obj.page.title

    @admin.display(description="keywords")
    def keywords(self, obj: DetectedChange) -> str:
        return ", ".join(obj.keyword_hits)

    @admin.action(description="Dismiss selected changes (not a policy change)")
    def dismiss_selected(self, request: HttpRequest, queryset) -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied
        done = review.dismiss(queryset.values_list("pk", flat=True), user=request.user)
        self.message_user(request, f"Dismissed {done} change(s).", messages.SUCCESS)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/record/", wrap(self.record_view), name="watcher_change_record"),
            path(
                "<path:object_id>/dismiss/", wrap(self.dismiss_view), name="watcher_change_dismiss"
            ),
            *super().get_urls(),
        ]

    def _get(self, request: HttpRequest, object_id: str) -> DetectedChange:
        qs = self.get_queryset(request).select_related(
            "page__platform", "old_snapshot", "new_snapshot", "policy_change", "reviewed_by"
        )
        object_id = unquote(object_id)
        change = qs.filter(pk=object_id).first() if object_id.isdigit() else None
        if change is None:
            raise Http404(f"No detected change {object_id}")
        if not self.has_view_or_change_permission(request, change):
            raise PermissionDenied
        return change

    def change_view(self, request, object_id, form_url="", extra_context=None) -> HttpResponse:
        change = self._get(request, object_id)
        return self._review(request, change, None)

    def _review(self, request: HttpRequest, change: DetectedChange, form: RecordForm | None):
        guides = list(Guide.objects.filter(platform_id=change.page.platform_id, active=True))
        if form is None:
            form = RecordForm(change=change, guides=guides)
        unified = request.GET.get("view") == "unified"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review: {change.page.title}",
            "change": change,
            "page": change.page,
            "unified": unified,
            "rows": _unified_rows(change) if unified else _side_rows(change),
            "citing": citing_guides(change.page, guides),
            "form": form,
            "can_decide": change.status == DetectedChange.Status.PENDING
            and self.has_change_permission(request, change),
            "can_record": request.user.has_perm("guides.add_policychange"),
        }
        return TemplateResponse(request, self.review_template, context)

    def _after(self, change: DetectedChange) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:watcher_detectedchange_change", args=[change.pk])
        )

    def record_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        change = self._get(request, object_id)
        if request.method != "POST":
            return self._after(change)
        if not (
            self.has_change_permission(request, change)
            and request.user.has_perm("guides.add_policychange")
        ):
            raise PermissionDenied
        guides = list(Guide.objects.filter(platform_id=change.page.platform_id, active=True))
        form = RecordForm(request.POST, change=change, guides=guides)
        if not form.is_valid():
            return self._review(request, change, form)
        data = form.cleaned_data
        try:
            policy = review.record(
                change,
                user=request.user,
                title=data["title"],
                date=data["date"],
                summary=data["summary"],
                affects=data["affects"],
                source=data["source"],
            )
        except IntegrityError:
            form.add_error(
                "title", "This platform already has a policy change with this date and title."
            )
            return self._review(request, change, form)
        if policy is None:
            self.message_user(request, "This change was already decided.", messages.WARNING)
            return self._after(change)
        self.message_user(
            request,
            f"Recorded and published “{policy}”: followers will be reminded.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:watcher_detectedchange_changelist"))

    def dismiss_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        change = self._get(request, object_id)
        if request.method != "POST":
            return self._after(change)
        if not self.has_change_permission(request, change):
            raise PermissionDenied
        if review.dismiss([change.pk], user=request.user):
            self.message_user(request, "Dismissed: no one will be emailed.", messages.SUCCESS)
        else:
            self.message_user(request, "This change was already decided.", messages.WARNING)
        return HttpResponseRedirect(reverse("admin:watcher_detectedchange_changelist"))
