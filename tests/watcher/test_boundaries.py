"""The watcher's place in the house: guides never imports it, it never imports
tracker, and a guide page request never loads the fetcher (requests, bs4)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: str) -> list[str]:
    return sorted(
        f"{path}: {name}"
        for path, names in imported_modules(package).items()
        for name in names
        if name == forbidden or name.startswith(forbidden + ".")
    )


def test_guides_never_imports_the_watcher() -> None:
    assert offenders("guides", "watcher") == []


def test_the_watcher_never_imports_tracker() -> None:
    assert offenders("watcher", "tracker") == []


GUIDE_PAGE = """
import sys, django
django.setup()
from django.test import Client
response = Client().get("/platforms/linkedin/generative-ai-training/")
assert response.status_code == 200, response.status_code
assert "Official pages we watch for this guide" in response.content.decode()
print(" ".join(m for m in ("requests", "bs4", "watcher.fetch", "playwright") if m in sys.modules))
"""


@pytest.mark.django_db(transaction=True)
def test_a_guide_page_request_does_not_load_the_fetcher(content) -> None:
    database = settings.DATABASES["default"]
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "tests.settings"}
    if "postgresql" in database["ENGINE"]:
        user = database["USER"] or "postgres"
        host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
        env["DATABASE_URL"] = f"postgres://{user}@{host}:{port}/{database['NAME']}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{database['NAME']}"
    result = subprocess.run(
        [sys.executable, "-c", GUIDE_PAGE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
