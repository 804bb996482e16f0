"""Pages benchmark: requests per second and p99 latency of the site's pages, each next
to a static file of the same size served by the same gunicorn + whitenoise.

Production settings on PostgreSQL and Redis (bench/common.py), wrk on loopback at a
fixed concurrency. Each page and its static twin run back to back, in alternating
order, for several rounds; the ratio is of the medians.

    .venv/bin/python bench/pages.py [--rounds 3] [--duration 5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

WRK_THREADS = 2
WRK_CONNECTIONS = 8

# The platform and guide a visitor works through; others get a tick or two so the
# dashboard shows several platforms in different states.
GUIDE = ("linkedin", "generative-ai-training")
OTHER_GUIDES = [("meta", None), ("chatgpt", None), ("reddit", None)]

# name, minimum ratio page/static
TARGETS = {
    "catalog": 0.6,
    "guide (first visit)": 0.6,
    "guide (with progress)": 0.3,
    "dashboard": 0.3,
}


@dataclass
class Page:
    name: str
    path: str
    cookie: str
    size: int = 0
    static_path: str = ""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing it with apt-get (needs root)")
    subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        capture_output=True,
        env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed")
    return found


def prepare() -> None:
    common.fresh_database()
    common.manage("sync_guides")
    common.collectstatic()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise SystemExit("no CSRF token in the page: cannot tick like a browser")
    return match.group(1)


def _tick_paths(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'action="(/me/tick/[^"]+/)"', html)))


def make_visitor(base: str) -> dict[str, str]:
    """A visitor made the way a browser makes one: GET a guide, POST ticks with the
    CSRF token from its form. Returns the cookies to send afterwards.

    With DEBUG off the cookies are `Secure`; over plain http we carry them by hand,
    as the server does not care how they came back.
    """
    cookies: dict[str, str] = {}

    def get(path: str) -> str:
        response = requests.get(base + path, cookies=cookies, allow_redirects=False, timeout=10)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        cookies.update(response.cookies.get_dict())
        return response.text

    def post(path: str, data: dict[str, str], referer: str) -> None:
        response = requests.post(
            base + path,
            data=data,
            cookies=cookies,
            headers={"Referer": base + referer},
            allow_redirects=False,
            timeout=10,
        )
        if response.status_code not in (200, 302, 303):
            raise SystemExit(f"POST {path} answered {response.status_code}")
        cookies.update(response.cookies.get_dict())

    main = f"/platforms/{GUIDE[0]}/{GUIDE[1]}/"
    html = get(main)
    ticks = _tick_paths(html)
    if len(ticks) < 2:
        raise SystemExit(f"found {len(ticks)} tick forms on {main}")
    # Half the steps done: "in progress", the most common state and the busiest page.
    for path in ticks[: max(1, len(ticks) // 2)]:
        post(path, {"csrfmiddlewaretoken": _csrf(html), "done": "1"}, main)
    for platform_slug, _ in OTHER_GUIDES:
        page = get(f"/platforms/{platform_slug}/")
        links = re.findall(rf'href="(/platforms/{platform_slug}/[^"/]+/)"', page)
        if not links:
            continue
        guide_html = get(links[0])
        for path in _tick_paths(guide_html)[:1]:
            post(path, {"csrfmiddlewaretoken": _csrf(guide_html), "done": "1"}, links[0])
    if "visitor" not in cookies:
        raise SystemExit("ticking did not set the visitor cookie")
    return cookies


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def measure_sizes(base: str, pages: list[Page]) -> None:
    for page in pages:
        headers = {"Cookie": page.cookie} if page.cookie else {}
        response = requests.get(
            base + page.path, headers=headers, allow_redirects=False, timeout=10
        )
        if response.status_code != 200:
            raise SystemExit(f"{page.path} answered {response.status_code}")
        page.size = len(response.content)


def write_static_twins(pages: list[Page]) -> None:
    """A file of exactly each page's size in the collected static dir (served as-is)."""
    folder = common.STATIC_ROOT / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    for page in pages:
        slug = re.sub(r"[^a-z0-9]+", "-", page.name).strip("-")
        line = b"<p>static twin of a page, same number of bytes</p>\n"
        body = (line * (page.size // len(line) + 1))[: page.size]
        (folder / f"{slug}.html").write_bytes(body)
        page.static_path = f"/static/bench/{slug}.html"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, cookie: str, duration: float) -> tuple[float, float]:
    """Requests per second and p99 latency in ms; fails on any non-2xx answer."""
    cmd = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{duration:g}s",
        "--latency",
    ]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors on {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return rps, float(value) * _UNITS[unit]


def bench(base: str, pages: list[Page], rounds: int, duration: float) -> list[dict]:
    for page in pages:  # warm caches, connection pools, bytecode
        wrk(base + page.path, page.cookie, 1)
        wrk(base + page.static_path, "", 1)
    results = []
    for page in pages:
        page_runs, static_runs = [], []
        for r in range(rounds):
            order = [("page", page.path, page.cookie), ("static", page.static_path, "")]
            if r % 2:
                order.reverse()
            for kind, path, cookie in order:
                (page_runs if kind == "page" else static_runs).append(
                    wrk(base + path, cookie, duration)
                )
        rps = common.median([x[0] for x in page_runs])
        p99 = common.median([x[1] for x in page_runs])
        s_rps = common.median([x[0] for x in static_runs])
        s_p99 = common.median([x[1] for x in static_runs])
        ratio = rps / s_rps
        target = TARGETS[page.name]
        results.append(
            {
                "page": page.name,
                "path": page.path,
                "bytes": page.size,
                "rps": round(rps, 1),
                "p99_ms": round(p99, 2),
                "static_rps": round(s_rps, 1),
                "static_p99_ms": round(s_p99, 2),
                "ratio": round(ratio, 3),
                "target": target,
                "pass": ratio >= target,
                "rounds_rps": [round(x[0], 1) for x in page_runs],
                "rounds_static_rps": [round(x[0], 1) for x in static_runs],
            }
        )
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--no-prepare", action="store_true", help="reuse the bench database")
    args = parser.parse_args(argv)

    ensure_wrk()
    common.header("Pages: page vs static file of the same size, same gunicorn + whitenoise")
    if not args.no_prepare:
        prepare()
    with common.gunicorn() as base:
        cookies = make_visitor(base)
        cookie = cookie_header(cookies)
        pages = [
            Page("catalog", "/platforms/", ""),
            Page("guide (first visit)", f"/platforms/{GUIDE[0]}/{GUIDE[1]}/", ""),
            Page("guide (with progress)", f"/platforms/{GUIDE[0]}/{GUIDE[1]}/", cookie),
            Page("dashboard", "/me/", cookie),
        ]
        measure_sizes(base, pages)
    write_static_twins(pages)
    # whitenoise indexes STATIC_ROOT at start-up: a fresh server sees the twins.
    with common.gunicorn() as base:
        results = bench(base, pages, args.rounds, args.duration)

    setup = (
        f"{common.web_description()} (the Procfile's web command); "
        f"wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{args.duration:g}s, "
        f"{args.rounds} rounds alternating, medians; DEBUG=0, PostgreSQL, Redis cache"
    )
    print(setup)
    print(
        common.table(
            [
                "page",
                "bytes",
                "req/s",
                "p99 ms",
                "static req/s",
                "static p99",
                "ratio",
                "target",
                "",
            ],
            [
                [
                    r["page"],
                    r["bytes"],
                    r["rps"],
                    r["p99_ms"],
                    r["static_rps"],
                    r["static_p99_ms"],
                    r["ratio"],
                    f">= {r['target']}",
                    common.verdict(r["pass"]),
                ]
                for r in results
            ],
        )
    )
    data = {"setup": setup, "results": results}
    common.save("pages", data)
    return data


if __name__ == "__main__":
    main()
