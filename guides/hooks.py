"""Extension points other apps register into (guides never imports them).

Each hook is a list of callables `(request, context) -> dict`; the page's view
merges what they return into its template context. The per-person parts of a page
are slots the guides templates leave open: a hook fills them by returning
`{"slots": {slot: template name}}`, and the page includes each named template with
its own context. Guide page slots: `header` (beside the title), `recheck` (above
"Where it applies"), `step` (in each step row), `report` (in each step row, with
`step`, and after the sources, with `step` None), `subscribe` (after the sources).
Catalog slot: `platform` (in each platform card, with `entry` in the context).
"""

from collections.abc import Callable

from django.http import HttpRequest

PageHook = Callable[[HttpRequest, dict], dict]

guide_page: list[PageHook] = []
catalog_page: list[PageHook] = []


def extend(hooks: list[PageHook], request: HttpRequest, context: dict) -> dict:
    slots = context.setdefault("slots", {})
    for hook in hooks:
        extra = dict(hook(request, context))
        slots.update(extra.pop("slots", {}))
        context.update(extra)
    return context


# Callables `(platform, declarations)` the content loader calls, inside the platform's
# transaction, with the file's `watch:` list (guides.schema.WatchedPage items); the
# watcher registers one (watcher/apps.py) that keeps its watched pages in step.
watch_declared: list[Callable] = []
