"""The watcher in the Django admin.

- Detected changes: the review queue (watcher/review_admin.py).
- Watched pages: declared in the content files, so read-only here; the watcher's state
  and recent checks, and a "check now" action for editors with the change permission.
- Re-verifications: quotes of our evidence missing from their official page; an editor
  reads the page again, fixes the content file, and resolves the item.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from watcher import review
from watcher.models import DetectedChange, Reverification, WatchedPage
from watcher.review_admin import DetectedChangeAdmin, QueueFilter

admin.site.register(DetectedChange, DetectedChangeAdmin)


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

    def has_check_permission(self, request: HttpRequest) -> bool:
        """Checking spends the platform's patience: it takes the change permission, which
        this read-only admin otherwise never grants."""
        return request.user.has_perm(f"{self.opts.app_label}.change_watchedpage")

    @admin.action(description="Check selected pages now (in the background)", permissions=["check"])
    def check_now(self, request: HttpRequest, queryset) -> None:
        if not self.has_check_permission(request):
            raise PermissionDenied
        from watcher.tasks import check_page

        ids = list(queryset.values_list("pk", flat=True))
        for page_id in ids:
            check_page.delay(page_id)
        self.message_user(request, f"Queued {len(ids)} check(s).", messages.SUCCESS)


class OpenFilter(QueueFilter):
    """Open items first, like the detected-changes queue."""

    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [*Reverification.Status.choices, ("all", "All")]

    def value(self):
        return admin.SimpleListFilter.value(self) or Reverification.Status.OPEN


@admin.register(Reverification)
class ReverificationAdmin(admin.ModelAdmin):
    """Needs re-verification: a quote a guide rests on left its official page."""

    list_display = ["detected_at", "guide", "quote_excerpt", "checked_on", "status"]
    list_filter = [OpenFilter, "page__platform"]
    list_select_related = ["guide__platform", "page"]
    search_fields = ["quote", "source_url", "guide__title"]
    actions = ["resolve_selected"]
    fields = [
        "status",
        "guide_link",
        "page",
        "source_url",
        "source_title",
        "checked_on",
        "quote",
        "step_list",
        "diff_block",
        "detected_at",
        "resolved_by",
        "resolved_at",
        "note",
    ]
    readonly_fields = [f for f in fields if f != "note"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="missing quote")
    def quote_excerpt(self, obj: Reverification) -> str:
        return obj.quote if len(obj.quote) <= 80 else obj.quote[:79] + "…"

    @admin.display(description="guide")
    def guide_link(self, obj: Reverification) -> str:
        return format_html('<a href="{}">{}</a>', obj.guide.get_absolute_url(), obj.guide)

    @admin.display(description="steps resting on this source")
    def step_list(self, obj: Reverification) -> str:
        if not obj.steps:
            return "none named (the guide as a whole)"
        items = format_html_join(
            "", "<li>{} ({})</li>", ((s["title"], s["key"]) for s in obj.steps)
        )
        return format_html("<ul>{}</ul>", items)

    @admin.display(description="what changed on the page")
    def diff_block(self, obj: Reverification) -> str:
        if not obj.diff:
            return "no diff: the quote was not on the page when the watcher first read it"
        return format_html("<pre>{}</pre>", obj.diff)

    def save_model(self, request, obj, form, change) -> None:
        """Only the note is editable; resolving is a decision taken once (see below)."""
        Reverification.objects.filter(pk=obj.pk).update(note=obj.note)

    def response_change(self, request, obj):
        if "_resolve" in request.POST:
            self._resolve(request, [obj.pk], note=obj.note)
        return super().response_change(request, obj)

    @admin.action(description="Resolve: the guide was re-checked against the page")
    def resolve_selected(self, request: HttpRequest, queryset) -> None:
        self._resolve(request, list(queryset.values_list("pk", flat=True)))

    def _resolve(self, request: HttpRequest, ids: list[int], note: str = "") -> None:
        if not self.has_change_permission(request):
            raise PermissionDenied
        done = review.resolve(ids, user=request.user, note=note)
        if done:
            self.message_user(request, f"Resolved {done} item(s).", messages.SUCCESS)
        else:
            self.message_user(request, "Already resolved.", messages.WARNING)
