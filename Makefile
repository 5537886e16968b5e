# The two commands: `make run` (portal on http://127.0.0.1:8000) and `make test` (the whole suite on
# a throwaway PostgreSQL + Redis with a real Celery worker).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_CITIZENS ?= 20000
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test lint format bench-import bench-coverage bench-dashboard bench-load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,bench]"
	touch $@ $(VENV)/.installed-base

run: $(VENV)/.installed-base
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_regions
	$(BIN)/python manage.py seed_demo --citizens $(DEMO_CITIZENS)
	HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) sh scripts/serve.sh

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/testenv.py -- $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench-import: $(VENV)/.installed-test
	$(BIN)/python scripts/testenv.py -- $(BIN)/python bench/import_citizens.py

# Coverage recompute vs a bare GROUP BY at 65k, 650k and 870k residents; BENCH_ARGS=--huge adds 6.5M.
bench-coverage: $(VENV)/.installed-test
	$(BIN)/python scripts/testenv.py -- $(BIN)/python bench/coverage.py $(BENCH_ARGS)

# Server time of every dashboard page at 650k residents vs a trivial view (target < 300 ms each).
bench-dashboard: $(VENV)/.installed-test
	$(BIN)/python scripts/testenv.py -- $(BIN)/python bench/dashboard.py $(BENCH_ARGS)

# Morning rush: 200 citizens booking + 10 staff on the dashboard, 60 s, gunicorn + PostgreSQL (loopback).
bench-load: $(VENV)/.installed-test
	$(BIN)/python scripts/testenv.py -- $(BIN)/python bench/load.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
