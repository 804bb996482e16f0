"""Content benchmark: `sync()` (what `manage.py sync_guides` runs) for the real content
and for 1,000 generated platforms, each loaded into a fresh database and then re-run
with nothing changed. Times are of the call itself (Django already set up), on
PostgreSQL with production settings.

    .venv/bin/python bench/content.py [--platforms 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

TEMPLATE = common.ROOT / "guides" / "content" / "linkedin.yaml"


def generate(folder: Path, count: int) -> None:
    """`count` valid platform files made from linkedin.yaml, each with its own slug,
    name and URLs."""
    template = TEMPLATE.read_text()
    for i in range(1, count + 1):
        slug = f"gen-{i:04d}"
        text = template.replace("linkedin", slug).replace("name: LinkedIn", f"name: Generated {i}")
        (folder / f"{slug}.yaml").write_text(text)


def _inner(content_dir: str) -> None:
    """Runs in a child process with the bench environment: times two syncs."""
    import django

    django.setup()
    from guides.loader import sync
    from guides.models import Guide, Platform, Step

    out = []
    for _ in range(2):
        start = time.perf_counter()
        report = sync(Path(content_dir))
        seconds = time.perf_counter() - start
        if report.errors:
            raise SystemExit("content errors: " + "; ".join(str(e) for e in report.errors))
        out.append(
            {
                "seconds": round(seconds, 3),
                "created": len(report.created),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
            }
        )
    counts = {
        "platforms": Platform.objects.filter(active=True).count(),
        "guides": Guide.objects.filter(active=True).count(),
        "steps": Step.objects.filter(active=True).count(),
    }
    print(json.dumps({"first": out[0], "rerun": out[1], "counts": counts}))


def timed_sync(content_dir: Path) -> dict:
    common.fresh_database()
    out = common.run([common.PY, __file__, "--inner", str(content_dir)])
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platforms", type=int, default=1000)
    parser.add_argument("--inner", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        _inner(args.inner)
        return {}

    common.header("Content: sync_guides into a fresh PostgreSQL database, then a no-change re-run")
    real = timed_sync(common.ROOT / "guides" / "content")
    with tempfile.TemporaryDirectory(prefix="bench-content-") as tmp:
        generate(Path(tmp), args.platforms)
        generated = timed_sync(Path(tmp))
    if generated["counts"]["platforms"] != args.platforms:
        raise SystemExit(f"expected {args.platforms} platforms, got {generated['counts']}")

    rows = []
    for label, r in (("real content", real), (f"{args.platforms:,} generated", generated)):
        c = r["counts"]
        what = f"{c['platforms']} platforms, {c['guides']} guides, {c['steps']} steps"
        per = r["first"]["seconds"] / c["platforms"] * 1000
        rows.append([label, what, r["first"]["seconds"], per, r["rerun"]["seconds"]])
        if r["rerun"]["created"] or r["rerun"]["updated"]:
            raise SystemExit(f"re-run of {label} changed something: {r['rerun']}")
    print(
        common.table(
            ["content", "loaded", "first load s", "ms/platform", "no-change re-run s"], rows
        )
    )
    ratio = generated["first"]["seconds"] / real["first"]["seconds"]
    scale = generated["counts"]["platforms"] / real["counts"]["platforms"]
    print(f"generated / real load time: {ratio:.1f}x for {scale:.1f}x the platforms")
    data = {"real": real, "generated": generated, "time_ratio": round(ratio, 2)}
    common.save("content", data)
    return data


if __name__ == "__main__":
    main()
