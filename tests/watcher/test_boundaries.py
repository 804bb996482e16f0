"""A guide page request never loads the watcher's fetcher (requests, bs4, Playwright):
the watcher's part of the page comes from watcher/pages.py, which needs only models.
(Which app may import which is tests/test_layout.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


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
