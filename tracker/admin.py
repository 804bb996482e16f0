"""Admin for reminders: subscriptions and the outbox, read-mostly.

(The PolicyChange admin, whose save publishes a change, is in guides/admin.py.)
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from tracker import reports
from tracker.models import OutboxEmail, ProblemReport, Reminder, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "frequency", "confirmed_at", "unsubscribed_at", "failing_since"]
    list_filter = ["frequency", "recheck_nudges"]
    search_fields = ["email"]
    readonly_fields = [
        "email",
        "visitor",
        "token",
        "created_at",
        "confirmed_at",
        "last_digest_at",
        "last_nudge_at",
    ]
    fields = [
        *readonly_fields,
        "platforms",
        "frequency",
        "recheck_nudges",
        "unsubscribed_at",
        "failing_since",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only people subscribe themselves (double opt-in)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["subscription", "change", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    list_select_related = ["subscription", "change"]
    search_fields = ["subscription__email", "message_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """Single emails features put in the outbox (tracker.outbox.put); read-only."""

    list_display = ["key", "to", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["key", "to", "message_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# --- Report a problem: the editors' queue ---------------------------------------------


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    """Reported problems, new first, each next to the guide (and step) it is about."""

    list_display = ["created_at", "guide_link", "step", "summary", "has_email", "status"]
    list_filter = ["status", "guide__platform"]
    list_select_related = ["guide__platform", "step"]
    search_fields = ["message", "guide__title", "guide__platform__name"]
    readonly_fields = [
        "guide_link",
        "step",
        "message",
        "email",
        "created_at",
        "notified_at",
        "status",
        "resolved_at",
    ]
    fields = readonly_fields
    actions = ["mark_resolved"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only people report problems

    @admin.display(description="guide", ordering="guide__platform__name")
    def guide_link(self, obj: ProblemReport) -> str:
        return format_html(
            '{}: <a href="{}">{}</a>',
            obj.guide.platform.name,
            obj.guide.get_absolute_url(),
            obj.guide.title,
        )

    @admin.display(description="what is wrong")
    def summary(self, obj: ProblemReport) -> str:
        return obj.message if len(obj.message) <= 80 else obj.message[:79] + "…"

    @admin.display(description="reply to", boolean=True)
    def has_email(self, obj: ProblemReport) -> bool:
        return bool(obj.email)

    @admin.action(description="Mark resolved (deletes the reporter's email)")
    def mark_resolved(self, request: HttpRequest, queryset) -> None:
        count = reports.resolve(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} report(s) resolved.")
