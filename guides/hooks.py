"""Extension points other apps register into (guides never imports them).

Each hook is a list of callables `(request, context) -> dict`; the page's view
merges what they return into its template context.
"""

from collections.abc import Callable

from django.http import HttpRequest

PageHook = Callable[[HttpRequest, dict], dict]

guide_page: list[PageHook] = []
catalog_page: list[PageHook] = []


def extend(hooks: list[PageHook], request: HttpRequest, context: dict) -> dict:
    for hook in hooks:
        context.update(hook(request, context))
    return context


# One callable `(request) -> (who, stamp_key or None)` naming whose page this is, from
# cookies alone (it runs before sessions and auth), for guides.pagecache.
page_cache_person: list[Callable[[HttpRequest], tuple[str, str | None]]] = []

# Callables `(platform, declarations)` the content loader calls, inside the platform's
# transaction, with the file's `watch:` list (guides.schema.WatchedPage items); the
# watcher registers one (watcher/apps.py) that keeps its watched pages in step.
watch_declared: list[Callable] = []
