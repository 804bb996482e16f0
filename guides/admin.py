"""Django admin for guides: policy changes. The watcher's admin (watched pages,
detected changes, re-verification items) lives in watcher/admin.py."""

from django.contrib import admin

from guides.models import PolicyChange
from guides.signals import publish

# --- policy changes ----------------------------------------------------------------


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
