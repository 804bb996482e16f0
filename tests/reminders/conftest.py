"""Reminder test set-up: followers in bulk, eager Celery by default, and for the
tests that need them a private Redis and real Celery workers (subprocesses) that
share the test database and send to the SMTP sink.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from guides.models import Guide, Platform, PolicyChange
from optout_site.celery import app as celery_app
from tests.conftest import needs
from tests.factories import make_guide, make_platform
from tests.smtp_sink import free_port
from tracker.models import Subscription

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process unless a test points Celery at a real broker."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


def make_followers(
    platform: Platform, n: int, *, prefix: str = "f", confirmed: bool = True, **kw
) -> list[Subscription]:
    """n subscriptions following `platform`, written in bulk."""
    ago = timezone.now() - dt.timedelta(hours=1)
    subs = Subscription.objects.bulk_create(
        Subscription(
            email=f"{prefix}{i}@example.org",
            token=f"{prefix}-token-{i}-{os.urandom(6).hex()}",
            confirmed_at=ago if confirmed else None,
            **kw,
        )
        for i in range(n)
    )
    through = Subscription.platforms.through
    through.objects.bulk_create(through(subscription=s, platform=platform) for s in subs)
    return subs


def make_change(platform: Platform, guides: list[Guide] | None = None, **kw) -> PolicyChange:
    values = {"date": timezone.localdate(), "title": "Training now on by default", "summary": "x"}
    values.update(kw)
    change = PolicyChange.objects.create(platform=platform, **values)
    change.affects.set(guides or [])
    return change


@pytest.fixture
def platform(db) -> Platform:
    platform = make_platform(name="Chirper", slug="chirper")
    make_guide(platform, title="Turn off AI training", slug="ai-training")
    return platform


# --- real services -------------------------------------------------------------------


class PrivateRedis:
    """A throwaway redis-server on a free port (never the machine's main one)."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


def _point_celery_at(url: str | None, eager: bool) -> None:
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = eager
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(tmp_path):
    """A private Redis as the Celery broker of this process and of the workers."""
    needs("redis")
    needs("postgresql")
    server = PrivateRedis(tmp_path)
    server.start()
    saved = celery_app.conf.broker_url
    _point_celery_at(server.url, eager=False)
    yield server
    _point_celery_at(saved, eager=True)
    server.stop()


def _test_db_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Celery workers as subprocesses (solo pool), each in its own process group."""

    def __init__(self, broker: PrivateRedis, tmp: Path) -> None:
        self.broker, self.tmp, self.procs = broker, tmp, []
        self.smtp_port: int | None = None

    def start(self, n: int = 1, *, smtp_port: int) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "optout_site.settings",
            # Production settings, as the Procfile's worker runs (and without DEBUG's
            # per-query bookkeeping, which slows a long fan-out).
            "DEBUG": "0",
            "SECRET_KEY": "test-worker-" + "k" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": _test_db_url(),
            "CONN_MAX_AGE": "0",
            "REDIS_URL": self.broker.url,
            "CELERY_BROKER_URL": self.broker.url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_TIMEOUT": "5",
            "REMINDER_RETRY_DELAY": "1",
            "LOG_LEVEL": "WARNING",
        }
        for _ in range(n):
            i = len(self.procs)
            log = open(self.tmp / f"worker-{i}.log", "w")  # noqa: SIM115 - closed with the process
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "optout_site",
                        "worker",
                        "--pool",
                        "solo",
                        "--loglevel",
                        "WARNING",
                        "-n",
                        f"test{i}@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def kill(self) -> None:
        """SIGKILL every worker: no warm shutdown, no acks, nothing cleaned up."""
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self.procs = []

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp.glob("worker-*.log")))


@pytest.fixture
def workers(transactional_db, broker, tmp_path):
    pool = Workers(broker, tmp_path)
    yield pool
    pool.kill()
