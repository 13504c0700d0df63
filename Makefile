# The two commands: `make run` (first look, no services needed) and `make test`
# (the full suite against PostgreSQL and Redis). Both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
POETRY_VERSION := 2.1.4
POETRY_HOME := .poetry
POETRY := $(POETRY_HOME)/bin/poetry
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test test-pgbouncer lint format schema migrate

help:
	@echo "make run      serve the API on the embedded default (or DATABASE_URL/REDIS_URL)"
	@echo "make test     run the whole suite against PostgreSQL and Redis"
	@echo "make test-pgbouncer  the suite again, through PgBouncer in transaction mode"
	@echo "make lint     ruff check + format check + the apps' import contracts"
	@echo "make format   apply ruff's fixes and formatting"
	@echo "make schema   regenerate openapi.yaml"
	@echo "make chaos    break the real stack on purpose, one fault at a time (bench/chaos.py)"
	@echo "make bench-scale  throughput against web workers: direct, PgBouncer, replica (bench/scale.py)"
	@echo "make install  set-up only: Poetry, .venv/, dependencies (safe to run twice)"

# Poetry lives in its own virtualenv so it never mixes with the project's.
$(POETRY):
	$(PYTHON) -m venv $(POETRY_HOME)
	$(POETRY_HOME)/bin/pip install --quiet --disable-pip-version-check "poetry==$(POETRY_VERSION)"

# Re-installs only when the dependency files change.
$(STAMP): pyproject.toml poetry.lock poetry.toml | $(POETRY)
	$(POETRY) sync --no-interaction
	@touch $@

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py serve $(HOST):$(PORT)

test: install
	$(PY) -m pytest

# The same suite through a PgBouncer of its own in transaction mode (conftest.py).
test-pgbouncer: install
	TEST_THROUGH_PGBOUNCER=true $(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --file openapi.yaml

# --- Benchmarks (bench/README.md): the real stack under wrk, against its ceilings.
.PHONY: bench bench-catalog bench-reservations bench-sweeper bench-points bench-coupons bench-checkout bench-reports bench-settlement bench-seed bench-inprocess bench-scale chaos

BENCH_PRODUCTS ?= 1000000
BENCH_WAREHOUSES ?= 5

bench: install
	$(PY) -m bench all
	$(PY) -m bench.sweeper
	$(PY) -m bench.storm
	$(PY) -m bench.reports
	$(PY) -m bench.settlement

bench-catalog: install
	$(PY) -m bench catalog

bench-reservations: install
	$(PY) -m bench reservations
	$(PY) -m bench.sweeper

bench-sweeper: install
	$(PY) -m bench.sweeper

bench-inprocess: install
	$(PY) -m bench.inprocess

bench-points: install
	$(PY) -m bench points

bench-coupons: install
	$(PY) -m bench coupons

bench-checkout: install
	$(PY) -m bench checkout reservations.spread.reserve_cancel
	$(PY) -m bench.storm

bench-reports: install
	$(PY) -m bench.reports

bench-settlement: install
	$(PY) -m bench companies
	$(PY) -m bench.settlement

# The real stack broken on purpose, one fault at a time (bench/chaos.py): its own
# PostgreSQL cluster and Redis on spare ports; about five minutes.
chaos: install
	$(PY) -m bench.chaos

# Throughput against gunicorn workers (1, 2, 4, 8), straight to PostgreSQL, through
# PgBouncer and with reads on a streaming replica (bench/scale.py): a PostgreSQL
# primary and replica, two PgBouncers and a Redis of its own; about 14 minutes.
bench-scale: install
	$(PY) -m bench.scale

bench-seed: install
	$(PY) -m bench.seed --products $(BENCH_PRODUCTS) --warehouses $(BENCH_WAREHOUSES)
