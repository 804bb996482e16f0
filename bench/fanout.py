"""Fan-out benchmark: a policy change for N confirmed followers, delivered to a local
SMTP server by the real Celery worker, next to a plain loop that sends the same
messages over one SMTP connection (the limit); and the worker's peak memory at
10,000 and at 100,000 followers.

Each size gets a fresh worker (so its peak is its own), publishing goes through
`guides.signals.publish` exactly as an editor's does, and the clock stops when every
reminder row of the change is settled (sent, failed or skipped). The SMTP server is
bench/smtp_sink.py, which counts what arrives, so duplicates and losses show.

    .venv/bin/python bench/fanout.py [--small 10000] [--large 100000] [--loop 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

CONCURRENCY = 2
TARGET_RATIO = 0.5
TARGET_MEMORY_RATIO = 1.2
# The small run follows one platform, the large one another, so both share one database.
SMALL_PLATFORM, LARGE_PLATFORM = "meta", "linkedin"


# --- child side (Django set up, bench environment) ------------------------------------


def _django() -> None:
    import django

    django.setup()


def inner_setup(spec: str) -> None:
    """Create confirmed subscriptions: spec is 'platform:count,platform:count'."""
    _django()
    import datetime as dt

    from django.utils import timezone

    from guides.models import Platform
    from tracker.models import Subscription

    confirmed = timezone.now() - dt.timedelta(days=1)
    Through = Subscription.platforms.through
    for part in spec.split(","):
        slug, count = part.split(":")
        platform = Platform.objects.get(slug=slug)
        for start in range(0, int(count), 5000):
            batch = [
                Subscription(email=f"{slug}-{i}@bench.example", confirmed_at=confirmed)
                for i in range(start, min(start + 5000, int(count)))
            ]
            created = Subscription.objects.bulk_create(batch)
            Through.objects.bulk_create(
                [Through(subscription_id=s.pk, platform_id=platform.pk) for s in created]
            )
    print(json.dumps({"subscriptions": Subscription.objects.count()}))


def inner_publish(slug: str, expected: int, timeout: float, count_file: str) -> None:
    """Publish a change dated today on `slug`; wait until every reminder is settled.

    Progress is read from the SMTP sink's counter file, not from the database: polling
    COUNT(*) over 100,000 rows every moment would compete with the worker for the same
    two cores. The database is asked every few seconds (to notice rows that fail or
    are skipped) and once at the end.
    """
    _django()
    from django.db import transaction
    from django.db.models import Count
    from django.utils import timezone

    from guides.models import Platform, PolicyChange
    from guides.signals import publish
    from tracker.models import Reminder

    counter = Path(count_file)
    platform = Platform.objects.get(slug=slug)
    change = PolicyChange.objects.create(
        platform=platform,
        date=timezone.localdate(),
        title=f"Benchmark change {time.time_ns()}",
        summary="A policy change published by bench/fanout.py.",
    )
    rows = Reminder.objects.filter(change=change)
    open_states = [Reminder.Status.PENDING, Reminder.Status.SENDING]

    def received() -> int:
        return int(counter.read_text().split()[0])

    base = received()
    started = time.perf_counter()
    with transaction.atomic():
        publish(change)  # on commit: the signal, the fan_out task on the broker
    last_db_check = started
    while True:
        time.sleep(0.1)
        now = time.perf_counter()
        if received() - base >= expected:
            break
        if now - last_db_check > 5:
            last_db_check = now
            total = rows.count()
            if total >= expected and not rows.filter(status__in=open_states).exists():
                break  # all settled, some not as sent: reported below
        if now - started > timeout:
            raise SystemExit(f"timed out after {received() - base} of {expected} emails")
    elapsed = time.perf_counter() - started
    by_status = dict(rows.order_by().values_list("status").annotate(n=Count("pk")))
    print(
        json.dumps(
            {
                "change_id": change.pk,
                "seconds": round(elapsed, 2),
                "rows": sum(by_status.values()),
                "by_status": by_status,
            }
        )
    )


def inner_loop(slug: str, limit: int) -> None:
    """The limit: the same messages, composed the same way, sent one after another over
    one SMTP connection. No broker, no claims, no status updates."""
    _django()
    from django.core.mail import mailers

    from guides.models import PolicyChange
    from tracker import emails, outbox, reminders

    change = PolicyChange.objects.filter(platform__slug=slug).order_by("-pk").first()
    subs = reminders.followers(change).select_related("visitor").order_by("pk")[:limit]
    composer = emails.Composer()
    backend = mailers.default
    started = time.perf_counter()
    backend.open()
    sent = 0
    for sub in subs.iterator(chunk_size=2000):
        item = composer.item(sub, change)
        message = emails.policy_change(sub, item, outbox.new_message_id())
        sent += backend.send_messages([message])
    backend.close()
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": round(elapsed, 2), "sent": sent}))


# --- parent side -------------------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        self.port = common.free_port()
        self.file = common.BENCH / ".smtp_sink.count"
        self.proc = subprocess.Popen(
            [common.PY, str(common.BENCH / "smtp_sink.py"), str(self.port), str(self.file)],
            cwd=common.ROOT,
            start_new_session=True,
        )
        for _ in range(100):
            if self.file.exists():
                return
            time.sleep(0.1)
        raise SystemExit("the SMTP sink did not start")

    def messages(self) -> int:
        return int(self.file.read_text().split()[0])

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=10)


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[2]) == pgid:  # field 5 of /proc/pid/stat: process group
            pids.append(int(entry.name))
    return pids


class Worker:
    """The real Celery worker (prefork), as the Procfile would run it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.log = common.BENCH / ".celery.log"
        self.proc = subprocess.Popen(
            [
                str(common.VENV_BIN / "celery"),
                "-A",
                "optout_site",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                str(CONCURRENCY),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"bench-{os.getpid()}@%h",
            ],
            cwd=common.ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while " ready." not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the Celery worker did not start; see {self.log}")
            time.sleep(0.2)
        time.sleep(0.5)  # children finish importing
        self.idle_kib = common.peak_rss_kib(self.pids())

    def pids(self) -> list[int]:
        return _group_pids(self.proc.pid)

    def peaks(self) -> tuple[int, int]:
        """(sum over the worker's processes, largest single process) of peak RSS, KiB."""
        each = [common.peak_rss_kib([pid]) for pid in self.pids()]
        return sum(each), max(each)

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def pipeline_missing() -> str | None:
    """Why the pipeline cannot be measured, or None when it is committed and complete."""
    tracked = subprocess.run(
        [
            "git",
            "ls-files",
            "--error-unmatch",
            "tracker/tasks.py",
            "tracker/reminders.py",
            "tracker/outbox.py",
        ],
        cwd=common.ROOT,
        capture_output=True,
    )
    if tracked.returncode != 0:
        return "the reminders pipeline (tracker/tasks.py, reminders.py, outbox.py) is not committed"
    return None


def run_size(env, sink: Sink, slug: str, n: int) -> dict:
    worker = Worker(env)
    try:
        before = sink.messages()
        out = common.run(
            [
                common.PY,
                __file__,
                "--inner",
                "publish",
                slug,
                str(n),
                str(sink.file),
                "--timeout",
                "1800",
            ],
            env=env,
        )
        result = json.loads(out.strip().splitlines()[-1])
        total_kib, largest_kib = worker.peaks()
    finally:
        worker.stop()
    time.sleep(0.5)
    result.update(
        followers=n,
        received=sink.messages() - before,
        emails_per_s=round(n / result["seconds"], 1),
        worker_idle_mib=round(worker.idle_kib / 1024, 1),
        worker_peak_mib=round(total_kib / 1024, 1),
        largest_process_peak_mib=round(largest_kib / 1024, 1),
    )
    if result["received"] != n or result["by_status"].get("sent") != n:
        raise SystemExit(f"expected {n} emails, got {result}")
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument(
        "--loop",
        type=int,
        default=10_000,
        help="messages in the plain loop: the first N of the large run's (its rate does not "
        "depend on N; 0 = all of them)",
    )
    parser.add_argument(
        "--allow-uncommitted",
        action="store_true",
        help="measure the working tree's pipeline even if it is not committed",
    )
    parser.add_argument("--inner", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=900, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        what, *rest = args.inner
        if what == "setup":
            inner_setup(rest[0])
        elif what == "publish":
            inner_publish(rest[0], int(rest[1]), args.timeout, rest[2])
        elif what == "loop":
            inner_loop(rest[0], int(rest[1]))
        return {}

    common.header("Fan-out: a policy change to N confirmed followers through the Celery worker")
    missing = None if args.allow_uncommitted else pipeline_missing()
    if missing:
        print(f"SKIPPED: {missing}")
        data = {"skipped": missing}
        common.save("fanout", data)
        return data
    loop_n = args.loop or args.large

    common.fresh_database()
    common.manage("sync_guides")
    sink = Sink()
    env = common.bench_env(SMTP_HOST="127.0.0.1", SMTP_PORT=str(sink.port), SMTP_TLS="0")
    try:
        common.run(
            [
                common.PY,
                __file__,
                "--inner",
                "setup",
                f"{SMALL_PLATFORM}:{args.small},{LARGE_PLATFORM}:{args.large}",
            ],
            env=env,
        )
        small = run_size(env, sink, SMALL_PLATFORM, args.small)
        large = run_size(env, sink, LARGE_PLATFORM, args.large)
        before = sink.messages()
        out = common.run(
            [common.PY, __file__, "--inner", "loop", LARGE_PLATFORM, str(loop_n)], env=env
        )
        loop = json.loads(out.strip().splitlines()[-1])
        loop["received"] = sink.messages() - before
        loop["emails_per_s"] = round(loop["sent"] / loop["seconds"], 1)
    finally:
        sink.stop()

    ratio = round(large["emails_per_s"] / loop["emails_per_s"], 3)
    memory_ratio = round(large["worker_peak_mib"] / small["worker_peak_mib"], 3)
    setup = (
        f"celery worker --pool prefork --concurrency {CONCURRENCY}; "
        f"local aiosmtpd sink; DEBUG=0, PostgreSQL, Redis broker"
    )
    print(setup)
    print(
        common.table(
            ["run", "emails", "seconds", "emails/s", "worker peak MiB", "largest process MiB"],
            [
                [
                    f"worker, {small['followers']:,} followers",
                    small["received"],
                    small["seconds"],
                    small["emails_per_s"],
                    small["worker_peak_mib"],
                    small["largest_process_peak_mib"],
                ],
                [
                    f"worker, {large['followers']:,} followers",
                    large["received"],
                    large["seconds"],
                    large["emails_per_s"],
                    large["worker_peak_mib"],
                    large["largest_process_peak_mib"],
                ],
                [
                    "plain loop, one connection",
                    loop["received"],
                    loop["seconds"],
                    loop["emails_per_s"],
                    "-",
                    "-",
                ],
            ],
        )
    )
    print(f"worker idle (all processes) {small['worker_idle_mib']} MiB")
    print(
        f"emails/s worker ({large['followers']:,}) / plain loop: {ratio:.2f} "
        f"(target >= {TARGET_RATIO}) {common.verdict(ratio >= TARGET_RATIO)}"
    )
    print(
        f"worker peak memory {large['followers']:,} / {small['followers']:,}: "
        f"{memory_ratio:.2f} (target <= {TARGET_MEMORY_RATIO}) "
        f"{common.verdict(memory_ratio <= TARGET_MEMORY_RATIO)}"
    )
    data = {
        "setup": setup,
        "results": {"small": small, "large": large, "loop": loop},
        "ratio": ratio,
        "memory_ratio": memory_ratio,
        "target_ratio": TARGET_RATIO,
        "target_memory_ratio": TARGET_MEMORY_RATIO,
        "ratio_pass": ratio >= TARGET_RATIO,
        "memory_pass": memory_ratio <= TARGET_MEMORY_RATIO,
    }
    common.save("fanout", data)
    return data


if __name__ == "__main__":
    main()
