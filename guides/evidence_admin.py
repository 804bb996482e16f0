"""The editors' re-check list: every source of every guide, oldest check first,
filtered by age. Read-only: sources live in the content files; an editor re-reads the
page, updates `quote` and `checked_on` in the YAML and syncs."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from guides.evidence import STALE_AFTER_DAYS
from guides.models import Source
from optout_site import clock


class CheckAgeFilter(admin.SimpleListFilter):
    title = "checked"
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [
            ("stale", f"more than {STALE_AFTER_DAYS} days ago (re-check)"),
            ("recent", f"within {STALE_AFTER_DAYS} days"),
            ("never", "never (no quote)"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        cutoff = clock.today() - dt.timedelta(days=STALE_AFTER_DAYS)
        if self.value() == "stale":
            return queryset.filter(checked_on__lt=cutoff)
        if self.value() == "recent":
            return queryset.filter(checked_on__gte=cutoff)
        if self.value() == "never":
            return queryset.filter(checked_on__isnull=True)
        return queryset


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    """Read-only: edit the content file, then sync."""

    list_display = ["title", "guide", "kind", "checked_on", "age", "supports", "url"]
    list_filter = [CheckAgeFilter, "kind", "guide__platform"]
    list_select_related = ["guide__platform"]
    search_fields = ["title", "url", "guide__title", "guide__platform__name"]
    ordering = ["checked_on", "guide__platform__name", "position"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super().get_queryset(request).filter(guide__active=True, guide__platform__active=True)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="age")
    def age(self, obj: Source) -> str:
        if obj.checked_on is None:
            return "never checked"
        days = (clock.today() - obj.checked_on).days
        return f"{days} days" + (" — re-check" if days > STALE_AFTER_DAYS else "")
