"""Admin for reminders: subscriptions and the outbox, read-mostly.

Also the PolicyChange admin (a guides model), because saving one there must publish
it: `guides.signals.publish` claims it once, and the reminders follow after commit.
It is registered only if guides/admin.py has not registered its own.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from guides.models import PolicyChange
from guides.signals import publish
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


class PolicyChangeAdmin(admin.ModelAdmin):
    list_display = ["date", "platform", "title", "from_content", "published_at"]
    list_filter = ["platform", "from_content"]
    search_fields = ["title", "summary"]
    readonly_fields = ["from_content", "created_at", "published_at"]
    filter_horizontal = ["affects"]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # After `affects` is saved; publish() is a no-op when already published, so
        # editing a published change (a typo) emails nobody.
        if publish(form.instance):
            self.message_user(request, "Published: followers will be reminded.")


if not admin.site.is_registered(PolicyChange):
    admin.site.register(PolicyChange, PolicyChangeAdmin)
