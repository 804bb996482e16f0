"""Django admin for guides.

Watcher section (issue 5): the review queue of detected changes, where an editor
reads the diff (side by side or unified, keywords highlighted, the guides that cite
the page) and records the change as a policy change (publishing it starts the
reminders) or dismisses it; and the watched pages with their watcher state. Watched
pages are declared in the content files, so they are read-only here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from guides import review, watch
from guides.extract import side_by_side
from guides.models import DetectedChange, Guide, WatchedPage

# --- watcher: review queue -------------------------------------------------------


def highlight(text: str, keywords: Sequence[str]) -> SafeString:
    """`text` escaped, with the keywords wrapped in <mark> (case-insensitive)."""
    words = [k for k in keywords if k.strip()]
    if not words:
        return escape(text)
    pattern = re.compile(
        "|".join(r"\b" + r"\s+".join(map(re.escape, k.split())) for k in words), re.IGNORECASE
    )
    out, last = [], 0
    for found in pattern.finditer(text):
        out += [escape(text[last : found.start()]), format_html("<mark>{}</mark>", found[0])]
        last = found.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


def _word_diff(left: str, right: str, keywords: Sequence[str]) -> tuple[SafeString, SafeString]:
    """Both sides of a changed line with the differing words in <del>/<ins>."""
    a, b = re.split(r"(\s+)", left), re.split(r"(\s+)", right)
    old, new = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        before, after = (
            highlight("".join(a[i1:i2]), keywords),
            highlight("".join(b[j1:j2]), keywords),
        )
        if tag == "equal":
            old.append(before)
            new.append(after)
            continue
        if i2 > i1:
            old.append(format_html("<del>{}</del>", before))
        if j2 > j1:
            new.append(format_html("<ins>{}</ins>", after))
    return mark_safe("".join(old)), mark_safe("".join(new))  # noqa: S308 - built escaped


def _side_rows(change: DetectedChange) -> list[dict]:
    old = change.old_snapshot.text if change.old_snapshot else ""
    rows = []
    for row in side_by_side(old, change.new_snapshot.text, context=3):
        if row.kind == "changed":
            left, right = _word_diff(row.left or "", row.right or "", change.page.keywords)
        else:
            left = highlight(row.left, change.page.keywords) if row.left is not None else ""
            right = highlight(row.right, change.page.keywords) if row.right is not None else ""
        rows.append({"row": row, "left": left, "right": right})
    return rows


def _unified_rows(change: DetectedChange) -> list[dict]:
    kinds = {"+": "added", "-": "deleted", "@": "hunk", " ": "equal"}
    return [
        {"kind": kinds.get(line[:1], "equal"), "html": highlight(line, change.page.keywords)}
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
                "affects": [g.pk for g in watch.citing_guides(change.page, guides)],
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


@admin.register(DetectedChange)
class DetectedChangeAdmin(admin.ModelAdmin):
    list_display = ["detected_at", "platform", "page_title", "keywords", "status"]
    list_filter = [QueueFilter, "page__platform"]
    list_select_related = ["page__platform"]
    search_fields = ["page__title", "page__url", "diff"]
    actions = ["dismiss_selected"]
    review_template = "admin/guides/detectedchange/review.html"

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
            path("<path:object_id>/record/", wrap(self.record_view), name="guides_change_record"),
            path(
                "<path:object_id>/dismiss/", wrap(self.dismiss_view), name="guides_change_dismiss"
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
            "citing": watch.citing_guides(change.page, guides),
            "form": form,
            "can_decide": change.status == DetectedChange.Status.PENDING
            and self.has_change_permission(request, change),
            "can_record": request.user.has_perm("guides.add_policychange"),
        }
        return TemplateResponse(request, self.review_template, context)

    def _after(self, change: DetectedChange) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:guides_detectedchange_change", args=[change.pk]))

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
        return HttpResponseRedirect(reverse("admin:guides_detectedchange_changelist"))

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
        return HttpResponseRedirect(reverse("admin:guides_detectedchange_changelist"))


@admin.register(WatchedPage)
class WatchedPageAdmin(admin.ModelAdmin):
    """Declared in the content files (edit them there); the watcher's state, read-only."""

    list_display = ["title", "platform", "url", "last_checked_at", "last_changed_at", "watch_state"]
    list_filter = [
        ("unwatchable_since", admin.EmptyFieldListFilter),
        "js",
        "active",
        "platform",
    ]
    list_select_related = ["platform"]
    search_fields = ["title", "url"]
    actions = ["check_now"]
    exclude = ["stable_snapshot"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.opts.fields if f.name != "stable_snapshot"] + ["recent_checks"]

    @admin.display(description="state")
    def watch_state(self, obj: WatchedPage) -> str:
        if obj.unwatchable_since:
            return f"cannot be watched ({obj.failures} failures in a row)"
        if obj.failures:
            return f"{obj.failures} failure(s) in a row"
        return "ok" if obj.last_checked_at else "not checked yet"

    @admin.display(description="recent checks")
    def recent_checks(self, obj: WatchedPage) -> str:
        snapshots = obj.snapshots.order_by("-fetched_at", "-pk")[:15]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    s.fetched_at.strftime("%Y-%m-%d %H:%M"),
                    s.outcome,
                    s.status_code or "",
                    s.hash[:12],
                    s.error,
                )
                for s in snapshots
            ),
        )
        head = (
            "<tr><th>fetched (UTC)</th><th>outcome</th><th>HTTP</th><th>hash</th><th>why</th></tr>"
        )
        return format_html("<table>{}{}</table>", mark_safe(head), rows)  # noqa: S308 - constant

    @admin.action(description="Check selected pages now (in the background)")
    def check_now(self, request: HttpRequest, queryset) -> None:
        from guides.tasks import check_page

        ids = list(queryset.values_list("pk", flat=True))
        for page_id in ids:
            check_page.delay(page_id)
        self.message_user(request, f"Queued {len(ids)} check(s).", messages.SUCCESS)


# --- end watcher -----------------------------------------------------------------


# --- policy changes ----------------------------------------------------------------
from guides.models import PolicyChange  # noqa: E402 - this block stands apart from the watcher's
from guides.signals import publish  # noqa: E402


@admin.register(PolicyChange)
class PolicyChangeAdmin(admin.ModelAdmin):
    """Saving a new policy change here publishes it (`guides.signals.publish` claims it
    once; tracker's reminders follow after the commit). Editing a published one (a typo)
    emails nobody."""

    list_display = ["date", "platform", "title", "from_content", "published_at"]
    list_filter = ["platform", "from_content"]
    search_fields = ["title", "summary"]
    readonly_fields = ["from_content", "created_at", "published_at"]
    filter_horizontal = ["affects"]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # After `affects` is saved; publish() is a no-op when already published.
        if publish(form.instance):
            self.message_user(request, "Published: followers will be reminded.")


# --- end policy changes ------------------------------------------------------------
