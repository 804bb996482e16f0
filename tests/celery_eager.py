"""Run Celery tasks in-process for a test, through the real enqueueing code paths."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import kombu.pools

from optout_site.celery import app as celery_app


@contextmanager
def eager_celery() -> Iterator[None]:
    """Eager tasks still take a producer from the pool: start from fresh pools, in case a
    test before this one pointed Celery at a broker of its own and closed them."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = saved
