"""Browser-test fixtures: the live server with content loaded, and a request log."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest


@pytest.fixture
def site(live_server, transactional_db):
    from guides.loader import sync

    sync()
    return live_server.url


@pytest.fixture
def foreign_requests(page, live_server):
    """Every request the page makes to a host other than the live server."""
    ours = urlparse(live_server.url).netloc
    seen: list[str] = []

    def record(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in {"http", "https", "ws", "wss"} and parsed.netloc != ours:
            seen.append(request.url)

    page.on("request", record)
    return seen
