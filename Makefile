# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
MANAGE := $(PY) manage.py

.PHONY: run test lint format bench up worker beat clean check-python

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { \
	  echo "optout_site needs Python 3.12 or newer (Django 6.1); '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "Install Python 3.13 (e.g. 'pyenv install 3.13', the repo's .python-version selects it)"; \
	  echo "or run with PYTHON=/path/to/python3.13 make ..."; exit 1; }

$(VENV)/.runtime: requirements.txt | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | check-python
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

# `make run PORT=8001` serves there; links in emails and the JSON API follow the port.
PORT ?= 8000
RUN_ENV := SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}

run: $(VENV)/.runtime
	$(MANAGE) migrate --noinput
	$(MANAGE) sync_guides
	$(RUN_ENV) $(MANAGE) runserver 127.0.0.1:$(PORT)

test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks (not part of `make test`); BENCH_ARGS=--quick for a smoke run. See bench/README.md.
bench: $(VENV)/.dev
	$(PY) bench/run.py $(BENCH_ARGS)

# Full stack (Procfile: gunicorn, Celery worker, Celery beat) against PostgreSQL and Redis.
# Defaults point at local servers; override DATABASE_URL / REDIS_URL / SMTP_* as needed.
STACK_ENV := DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/optout_site} \
             REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0}

UP_PORT ?= 8000

up: $(VENV)/.dev
	$(STACK_ENV) $(MANAGE) migrate --noinput
	$(STACK_ENV) $(MANAGE) sync_guides
	$(STACK_ENV) $(VENV)/bin/honcho start --port $(UP_PORT)

# One more worker (e.g. on another machine sharing the same DATABASE_URL and REDIS_URL).
worker: $(VENV)/.runtime
	$(STACK_ENV) $(VENV)/bin/celery -A optout_site worker --loglevel INFO

# Exactly one beat for the whole deployment.
beat: $(VENV)/.runtime
	$(STACK_ENV) $(VENV)/bin/celery -A optout_site beat --loglevel INFO

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
