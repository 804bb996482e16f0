"""The rules of the house, checked: which app may import which, and guide templates
that never reach into tracker (tracker fills their slots through guides.hooks)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("guides", "tracker", "watcher")
# app -> the apps it must never import
FORBIDDEN = {"guides": {"tracker", "watcher"}, "tracker": {"watcher"}, "watcher": {"tracker"}}


def imported_apps(path: Path) -> set[str]:
    """The top-level packages among APPS that a module imports, at any depth of the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(APPS)
    return found


def modules(app: str) -> list[Path]:
    folder = ROOT / app
    return sorted(folder.rglob("*.py")) if folder.is_dir() else []


def test_the_import_walker_sees_imports_of_every_form(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "import os\nimport tracker.models\nfrom watcher import fetch\n"
        "def f():\n    from guides.models import Guide\n"
    )
    assert imported_apps(module) == {"tracker", "watcher", "guides"}


@pytest.mark.parametrize("app", APPS)
def test_apps_import_only_what_the_house_allows(app):
    if app != "watcher":  # watcher/ may not exist yet; guides and tracker must
        assert modules(app), f"{app}/ has no modules"
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) & FORBIDDEN[app])
        for path in modules(app)
    }
    assert {k: v for k, v in wrong.items() if v} == {}


TRACKER_URL = re.compile(r"""\{%\s*url\s+['"]tracker:""")
TRACKER_INCLUDE = re.compile(r"""\{%\s*include\s+['"]tracker/""")


def test_guide_templates_neither_name_tracker_urls_nor_include_tracker_templates():
    templates = sorted((ROOT / "templates" / "guides").rglob("*.html"))
    assert templates
    offending = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in templates
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "tracker:" in line or TRACKER_URL.search(line) or TRACKER_INCLUDE.search(line)
    ]
    assert offending == []
