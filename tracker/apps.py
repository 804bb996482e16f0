from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Tracker"

    def ready(self) -> None:
        from guides import hooks
        from tracker import pages, visitors

        # guides never imports tracker: tracker plugs its per-person parts into guide pages.
        hooks.guide_page.append(pages.guide_page_extras)
        hooks.catalog_page.append(pages.catalog_page_extras)
        hooks.page_cache_key.append(visitors.person_cache_key)
