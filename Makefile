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

.PHONY: run lock test lint format bench-import bench-coverage bench-dashboard bench-load bench-rush clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installs come from the hashed lock files (requirements/, `make lock` regenerates them); the project
# itself is added without dependencies, built by the locked setuptools (build.txt, no build isolation).
$(VENV)/.installed-base: requirements/base.txt requirements/build.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.txt -r requirements/build.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: requirements/dev.txt requirements/build.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt -r requirements/build.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.installed-base

# One command to upgrade: edit the pins in pyproject.toml, then `make lock` (uv, pinned in the dev
# extra) resolves every transitive dependency again with hashes; dev.txt is constrained to base.txt
# so the tests run exactly the versions the image ships.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --generate-hashes --universal --python-version 3.11 --quiet
lock: $(VENV)/.installed-test
	$(UV_COMPILE) -o requirements/base.txt
	$(UV_COMPILE) --extra test --extra bench --extra dev -c requirements/base.txt -o requirements/dev.txt
	$(BIN)/uv pip compile requirements/build.in --generate-hashes --universal --python-version 3.11 --quiet \
		-o requirements/build.txt

# Development mode is asked for here, explicitly: the settings default to production mode.
run: export DJANGO_DEBUG = 1
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

# The rush page (public session list) vs /healthz on one production-mode gunicorn (target: >= 0.5x).
bench-rush: $(VENV)/.installed-test
	$(BIN)/python scripts/testenv.py -- $(BIN)/python bench/rush.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
