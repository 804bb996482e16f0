"""Helpers shared by the watcher's Django tests: watched pages on the local PageServer.

The corpus in pages/ was recorded from https://help.example, and its links are a mix
of relative and absolute ones, as on real sites. So watched pages keep that URL, and
`HostsFile` sends requests for help.example to the local server, like an /etc/hosts
entry would: the requests are real HTTP, only the address is looked up differently.
"""

from __future__ import annotations

from typing import Any

from guides.models import Platform
from tests.celery_eager import eager_celery  # noqa: F401 - re-exported for watcher tests
from tests.factories import make_platform
from tests.watcher.server import HOST, PERIMETER, HostsFile, PageServer
from watcher import watch
from watcher.fetch import HostThrottle
from watcher.models import WatchedPage

REMOVE = [".feedback", ".related-articles"]
KEYWORDS = ["train", "default", "region", "European Union"]


def fast(site: PageServer) -> dict[str, Any]:
    """Fetch options for tests: no spacing between requests, no backoff, short timeouts."""
    return {
        "throttle": HostThrottle(0),
        "backoff": 0,
        "timeout": 2,
        "session": HostsFile(site),
        "perimeter": PERIMETER,
    }


def make_page(path: str = "/help", platform: Platform | None = None, **kw: Any) -> WatchedPage:
    values: dict[str, Any] = {
        "url": f"https://{HOST}{path}",
        "title": "Generative AI training help page",
        "select": ["main"],
        "remove": REMOVE,
        "keywords": KEYWORDS,
    }
    values.update(kw)
    return WatchedPage.objects.create(platform=platform or make_platform(), **values)


def check(site: PageServer, page: WatchedPage, **options: Any) -> watch.CheckResult:
    result = watch.check_page(page.pk, **(fast(site) | options))
    assert result is not None
    page.refresh_from_db()
    return result
