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
