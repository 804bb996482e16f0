"""Run every benchmark (`make bench`) and print the targets with PASS/FAIL.

Each benchmark also runs alone: `python bench/pages.py`, `bench/weight.py`,
`bench/content.py`, `bench/fanout.py`. Figures go to bench/results.json.

    .venv/bin/python bench/run.py [--only pages,weight,content,fanout] [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

ALL = ["pages", "weight", "content", "fanout"]
QUICK = {
    "pages": ["--rounds", "1", "--duration", "3"],
    "weight": [],
    "content": ["--platforms", "200"],
    "fanout": ["--small", "1000", "--large", "10000", "--loop", "2000"],
}


def summary(done: dict[str, dict]) -> None:
    rows = []
    if "pages" in done:
        for r in done["pages"]["results"]:
            rows.append(
                [
                    f"pages: {r['page']} req/s vs static",
                    f"{r['ratio']:.2f}",
                    f">= {r['target']}",
                    common.verdict(r["pass"]),
                ]
            )
    if "fanout" in done and done["fanout"].get("results"):
        f = done["fanout"]
        rows.append(
            [
                "fan-out: emails/s vs plain one-connection loop",
                f"{f['ratio']:.2f}",
                f">= {f['target_ratio']}",
                common.verdict(f["ratio_pass"]),
            ]
        )
        rows.append(
            [
                "fan-out: worker peak memory 100k / 10k",
                f"{f['memory_ratio']:.2f}",
                f"<= {f['target_memory_ratio']}",
                common.verdict(f["memory_pass"]),
            ]
        )
    elif "fanout" in done:
        rows.append(["fan-out", "-", "-", f"SKIPPED: {done['fanout'].get('skipped')}"])
    if "weight" in done:
        w = done["weight"]
        for r in w["results"]:
            rows.append(
                [
                    f"weight: {r['page']}",
                    f"{r['wire'] / 1024:.1f} KB, {r['requests']} req",
                    f"<= {w['max_bytes'] // 1024} KB, <= {w['max_requests']}",
                    common.verdict(r["pass"]),
                ]
            )
    if "content" in done:
        c = done["content"]
        rows.append(
            [
                f"content: {c['generated']['counts']['platforms']} platforms first load / re-run",
                f"{c['generated']['first']['seconds']:.1f} s / "
                f"{c['generated']['rerun']['seconds']:.1f} s",
                "(no target)",
                "",
            ]
        )
    common.header("Targets")
    print(common.table(["target", "measured", "target", ""], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated subset")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller sizes (fan-out 1,000/10,000, 200 generated platforms, 1 round): "
        "a smoke run, not figures to report",
    )
    args = parser.parse_args()
    wanted = [name for name in args.only.split(",") if name]
    unknown = set(wanted) - set(ALL)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    print(f"optout_site benchmarks, {common.machine()}")
    started = time.monotonic()
    done: dict[str, dict] = {}
    prepared = False
    for name in ALL:
        if name not in wanted:
            continue
        module = __import__(name)
        argv = list(QUICK[name]) if args.quick else []
        if name == "weight" and prepared:
            argv = ["--no-prepare"]  # the pages benchmark just loaded the same database
        done[name] = module.main(argv)
        prepared = name in ("pages", "weight")
    summary(done)
    print(f"\ntotal {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
