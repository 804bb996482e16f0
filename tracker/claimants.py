"""Who claims outbox rows, and whether a claimant is still alive.

A claimant is a process, named "host:pid". On this host a claimant is alive while
its pid runs and started before its claims (a pid reused by a newer process does not
count); on another host, while its lease in the cache (renewed every 20 s by a
daemon thread of the claiming process, for LEASE_SECONDS) has not expired. When the
cache cannot be read, a foreign claimant counts as alive: beat's sweeper then takes
its rows back by age. Used by tracker/outbox.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time

from django.core.cache import cache

log = logging.getLogger(__name__)

LEASE_SECONDS = 60

_lease = {"pid": None}


def identity() -> str:
    """This process as a claimant: "host:pid". Renews its lease (each claim does), and
    the first time starts the thread that keeps it while the process lives."""
    me = f"{socket.gethostname()}:{os.getpid()}"
    _renew_lease(me)
    if _lease["pid"] != os.getpid():  # first call in this process (or a forked child)
        _lease["pid"] = os.getpid()
        threading.Thread(target=_keep_lease, args=(me,), daemon=True, name="outbox-lease").start()
    return me


def _renew_lease(me: str) -> None:
    try:
        cache.set(f"outbox:alive:{me}", 1, timeout=LEASE_SECONDS)
    except Exception as exc:  # noqa: BLE001 - the cache down only blinds other hosts
        log.info("outbox lease not renewed: %s", exc.__class__.__name__)


def _keep_lease(me: str) -> None:
    while True:
        time.sleep(LEASE_SECONDS / 3)
        _renew_lease(me)


def _started_at(pid: int) -> dt.datetime | None:
    """When a local process started (Linux /proc); None when it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime"))
    except (OSError, StopIteration, ValueError):
        return None
    if fields[0] == "Z":
        return None
    seconds = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def alive_since(claimant: str) -> dt.datetime | None | bool:
    """False if the claimant is gone; else when it started (None: alive, start unknown)."""
    host, _, pid = claimant.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        try:
            return None if cache.get(f"outbox:alive:{claimant}") else False
        except Exception:  # noqa: BLE001 - cannot tell: leave it to the sweeper
            return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return None  # someone else's process: alive
    started = _started_at(int(pid))
    if started is None and os.path.exists("/proc/self/stat"):
        return False  # a zombie, or gone since
    return started
