"""Shared set-up for the watcher's tests: the local corpus server and test perimeter.

`site` is a real HTTP server on 127.0.0.1 playing the official sites (server.py, pages
in pages/). tests/settings.py sets WATCH_ALLOWED_TEST_ORIGINS to that origin, so
the watcher may fetch from it over http; `PERIMETER` is the same allowance for the
Django-free fetcher tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.watcher.server import PageServer


@pytest.fixture
def site() -> Iterator[PageServer]:
    with PageServer() as server:
        yield server
