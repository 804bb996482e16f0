"""Production settings: refuse to start unconfigured, pass `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from optout_site.settings import env_bool, env_int

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    base.update(DJANGO_SETTINGS_MODULE="optout_site.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_secret_key():
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="optout.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = manage("check", DEBUG="0", SECRET_KEY="k" * 60)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_check_deploy_is_clean_in_production_mode():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="a-long-random-production-key-" + "z9Y8x7W6" * 6,
        ALLOWED_HOSTS="optout.example",
        SMTP_HOST="smtp.optout.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_yes_no_variable_it_does_not_understand_stops_the_start():
    result = manage("check", DEBUG="flase")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG='flase' is not understood" in result.stderr


def test_a_number_variable_that_is_not_a_number_stops_the_start():
    result = manage("check", CONN_MAX_AGE="ten")
    assert result.returncode != 0
    assert "CONN_MAX_AGE='ten' is not a whole number" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("yes", True),
        (" On ", True),
        ("TRUE", True),
        ("0", False),
        ("off", False),
        ("No", False),
        ("false", False),
        ("", True),
    ],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("OPTOUT_TEST_FLAG", raw)
    assert env_bool("OPTOUT_TEST_FLAG", default=True) is expected


@pytest.mark.parametrize("raw", ["flase", "2", "y", "enabled"])
def test_env_bool_names_the_variable_it_rejects(monkeypatch, raw):
    monkeypatch.setenv("OPTOUT_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="OPTOUT_TEST_FLAG"):
        env_bool("OPTOUT_TEST_FLAG")


def test_env_int_rejects_what_is_not_a_number(monkeypatch):
    monkeypatch.setenv("OPTOUT_TEST_N", "5s")
    with pytest.raises(ImproperlyConfigured, match="OPTOUT_TEST_N"):
        env_int("OPTOUT_TEST_N", 1)
    monkeypatch.setenv("OPTOUT_TEST_N", " 42 ")
    assert env_int("OPTOUT_TEST_N", 1) == 42
