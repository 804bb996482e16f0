"""Admin for reminders: subscriptions and the outbox, read-mostly.

(The PolicyChange admin, whose save publishes a change, is in guides/admin.py.)
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tracker.models import OutboxEmail, Reminder, Subscription


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
