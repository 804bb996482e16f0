"""Shared test set-up: real services when the environment names them, content loading,
small factories, and the Chromium launch arguments for browser tests.

`REQUIRE_SERVICES=1` (set by .ci/run) makes a missing PostgreSQL or Redis an error,
and makes any skipped test fail the run.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from watcher.render import CHROMIUM_BASE_ARGS

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_SERVICES:
        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError("REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL")
        if not settings.REDIS_URL:
            raise pytest.UsageError("REQUIRE_SERVICES=1 but REDIS_URL is not set")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if REQUIRE_SERVICES and skipped:
        terminalreporter.write_line(
            f"FAILED: {len(skipped)} test(s) skipped, and REQUIRE_SERVICES=1 allows none.",
            red=True,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if REQUIRE_SERVICES and reporter and reporter.stats.get("skipped"):
        session.exitstatus = 1


def needs(service: str) -> None:
    """Skip locally when a service is not configured; fail in CI (REQUIRE_SERVICES=1)."""
    present = {
        "postgresql": "postgresql" in settings.DATABASES["default"]["ENGINE"],
        "redis": bool(settings.REDIS_URL),
    }[service]
    if not present:
        if REQUIRE_SERVICES:
            pytest.fail(f"{service} is required here but not configured")
        pytest.skip(f"{service} not configured (set DATABASE_URL / REDIS_URL)")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from guides.loader import sync

    with django_db_blocker.unblock():
        report = sync()
        assert not report.errors, report.errors


@pytest.fixture
def content(db):
    """The real content files, loaded (again, after a transactional test flushed them)."""
    from guides.loader import sync
    from guides.models import Platform

    if not Platform.objects.exists():
        sync()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        if REQUIRE_SERVICES:
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_BASE_ARGS}


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server on localhost; Django's default mailer sends to it."""
    from tests.smtp_sink import SmtpSink

    sink = SmtpSink().start()
    settings.MAILERS = sink.mailers
    yield sink
    sink.stop()
