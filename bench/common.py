"""What every benchmark shares: its own database and Redis db, the server, the output.

The benchmarks never touch dev or test data: they use the PostgreSQL database
`optout_bench` (dropped and recreated) and Redis db 3 (flushed), with production
settings (DEBUG=0). Static files are collected into the repo's git-ignored
`staticfiles/` (settings do not make STATIC_ROOT configurable).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
PY = sys.executable
RESULTS = BENCH / "results.json"
STATIC_ROOT = ROOT / "staticfiles"

PG = "postgres://postgres@127.0.0.1:5432"
DB_NAME = os.environ.get("BENCH_DB", "optout_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


def bench_env(**extra: str) -> dict[str, str]:
    """Production settings pointed at the bench's own database and Redis db."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "DJANGO_"))}
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-only-secret-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL=REDIS_URL,
        CACHE_PREFIX="optout-bench",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="optout_site.settings",
    )
    env.update(extra)
    return env


def run(cmd: Sequence[str], *, env: dict[str, str] | None = None, quiet: bool = True) -> str:
    result = subprocess.run(
        list(cmd), cwd=ROOT, env=env or bench_env(), capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    if not quiet:
        sys.stdout.write(result.stdout)
    return result.stdout


def manage(*args: str, env: dict[str, str] | None = None) -> str:
    return run([PY, "manage.py", *args], env=env)


def _psql(sql: str) -> None:
    run(["psql", f"{PG}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], env=dict(os.environ))


def fresh_database() -> None:
    """Drop and recreate the bench database and Redis db, then migrate."""
    _psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{DB_NAME}"')
    flush_redis()
    manage("migrate", "--noinput")


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def collectstatic() -> None:
    manage("collectstatic", "--noinput")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PROCFILE = ROOT / "Procfile"
_VAR = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def procfile_web(env: dict[str, str]) -> list[str]:
    """The Procfile's `web:` command, its ${VAR:-default}s filled from `env`, as honcho
    would run it: the bench measures exactly what `make up` serves."""
    for line in PROCFILE.read_text().splitlines():
        if line.startswith("web:"):
            command = _VAR.sub(lambda m: env.get(m.group(1)) or m.group(2) or "", line[4:])
            return shlex.split(command)
    raise SystemExit(f"no web: line in {PROCFILE}")


def web_description(env: dict[str, str] | None = None) -> str:
    """A description such as "gunicorn gthread, 2 workers x 4 threads" of the Procfile web."""
    args = procfile_web(env or bench_env())

    def option(name: str, default: str) -> str:
        return args[args.index(name) + 1] if name in args else default

    kind = option("--worker-class", option("-k", "sync"))
    desc = f"gunicorn {kind}, {option('--workers', option('-w', '1'))} workers"
    return desc + (f" x {option('--threads', '1')} threads" if kind == "gthread" else "")


@contextmanager
def gunicorn() -> Iterator[str]:
    """The site under the Procfile's web command with production settings; yields its
    base URL. The access log (stdout) is dropped; errors go to bench/.gunicorn.log."""
    port = free_port()
    env = bench_env(PORT=str(port))
    log = open(BENCH / ".gunicorn.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        procfile_web(env),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {log.name}")
            try:
                if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not answer /healthz in 30 s")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


# --- output -------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def header(title: str) -> None:
    print(f"\n== {title}")


def machine() -> str:
    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def save(section: str, data: dict) -> None:
    """Merge one benchmark's figures into bench/results.json."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), **data}
    results[section] = data
    results["machine"] = machine()
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def peak_rss_kib(pids: Sequence[int]) -> int:
    """Sum of the peak resident set (VmHWM) of the given live processes, KiB."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        total += int(match.group(1)) if match else 0
    return total
