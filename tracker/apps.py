from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Tracker"

    def ready(self) -> None:
        from guides import hooks
        from guides.signals import policy_change_published
        from tracker import pages, tasks

        # guides never imports tracker: tracker plugs its per-person parts into guide
        # pages, and publishing a policy change starts reminders.
        hooks.guide_page.append(pages.guide_page_extras)
        hooks.catalog_page.append(pages.catalog_page_extras)
        policy_change_published.connect(
            tasks.on_policy_change_published, dispatch_uid="tracker.reminders"
        )
