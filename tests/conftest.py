from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from kudus_capil.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _celery_eager_by_default(request):
    """Tasks run in process unless a test asks for the real worker (marker `celery_worker`)."""
    eager = request.node.get_closest_marker("celery_worker") is None
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = eager
    celery_app.conf.task_eager_propagates = eager
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def regions(db):
    from registrations.services.regions import regions_load

    return regions_load()


@pytest.fixture
def regions_tx(transactional_db):
    from registrations.services.regions import regions_load

    return regions_load()


def _database_url_of_test_db() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real Celery worker (separate process) on the test Redis, using the test database."""
    if (
        not os.environ.get("REDIS_URL")
        or settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
    ):
        pytest.skip("needs the real PostgreSQL and Redis of `make test`")
    env = {**os.environ, "DATABASE_URL": _database_url_of_test_db(), "KUDUS_TESTING": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kudus_capil", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        replies = celery_app.control.ping(timeout=0.5)
        if replies:
            break
        if worker.poll() is not None:
            pytest.fail("the Celery worker exited at start-up")
    else:
        worker.terminate()
        pytest.fail("the Celery worker did not answer a ping within 30 s")
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
