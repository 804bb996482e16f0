from django.apps import AppConfig


class WatcherConfig(AppConfig):
    name = "watcher"
    verbose_name = "Watcher"

    def ready(self) -> None:
        from guides import hooks
        from watcher import checks, declarations, pages  # noqa: F401 - checks register

        # guides never imports watcher: the content loader hands over the `watch:`
        # declarations, and guide pages get the watcher's block, through hooks.
        hooks.watch_declared.append(declarations.sync_pages)
        hooks.guide_page.append(pages.guide_page_extras)
