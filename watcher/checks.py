"""System checks for the watcher's settings."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security)
def check_test_origins(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """WATCH_ALLOWED_TEST_ORIGINS opens the perimeter (http, local addresses): tests only."""
    origins = settings.WATCH_ALLOWED_TEST_ORIGINS
    if origins and not settings.DEBUG:
        return [
            checks.Error(
                "WATCH_ALLOWED_TEST_ORIGINS is set while DEBUG is off.",
                hint="It lets the watcher fetch over http and from private addresses; "
                "it is for the test suite's local server only. Remove it in production.",
                id="watcher.E001",
            )
        ]
    return []
