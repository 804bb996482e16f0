from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Tracker"

    def ready(self) -> None:
        from guides.signals import policy_change_published
        from tracker import tasks

        # Publishing a policy change (guides never imports tracker) starts reminders.
        policy_change_published.connect(
            tasks.on_policy_change_published, dispatch_uid="tracker.reminders"
        )
