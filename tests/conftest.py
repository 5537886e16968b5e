from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError

from kudus_capil.celery import app as celery_app
from tests.factories import staff_user
from tests.helpers import JATI, KALIWUNGU, chromium

ROOT = Path(__file__).resolve().parent.parent
RUN_LOG = ROOT / "test-artifacts" / "test-run.log"


@pytest.fixture(autouse=True, scope="session")
def _run_log():
    """Every log record of the run goes to test-artifacts/test-run.log through the same masking
    filter as production; at the end of the session the file is grepped for the NIKs the tests used
    (see pytest_sessionfinish)."""
    import logging

    from core.logmask import MaskPersonalDataFilter

    RUN_LOG.parent.mkdir(exist_ok=True)
    RUN_LOG.write_text("", encoding="utf-8")
    # Append mode: dictConfig closes every handler when it re-runs, and a closed append-mode
    # FileHandler reopens on the next record (a "w" one would stay closed and drop records).
    handler = logging.FileHandler(RUN_LOG, mode="a", encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.addFilter(MaskPersonalDataFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    yield handler
    logging.getLogger().removeHandler(handler)
    handler.close()


@pytest.fixture(autouse=True)
def _run_log_attached(_run_log):
    # A second django.setup() (Celery's Django fix-up does one) re-runs dictConfig, which replaces
    # the root logger's handlers: attach the run log again before every test.
    import logging

    root = logging.getLogger()
    if _run_log not in root.handlers:
        root.addHandler(_run_log)


def pytest_sessionfinish(session, exitstatus):
    from tests.factories import USED_NIKS

    if not RUN_LOG.exists() or not USED_NIKS:
        return
    text = RUN_LOG.read_text(encoding="utf-8", errors="replace")
    leaked = sorted(nik for nik in USED_NIKS if nik in text)
    if leaked:
        session.exitstatus = 1
        print(f"\nPERSONAL DATA IN LOGS: {len(leaked)} NIK(s) used by the tests appear in {RUN_LOG}")
    else:
        print(f"\nlog check: none of the {len(USED_NIKS)} NIKs used by the tests appear in {RUN_LOG.name}")


@pytest.fixture(autouse=True)
def _empty_database_cache(request, django_db_blocker):
    """Every database test starts with an empty database cache. Rows committed outside a test's
    transaction (gunicorn and live-server runs, the flush after a transactional test does not
    empty a table that is no model's) would otherwise carry throttle counters into later tests and,
    once expired, cost them extra queries (the cache deletes expired rows when it reads them)."""
    uses_database = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )
    if uses_database:
        request.getfixturevalue("django_db_setup")  # the test database, never the configured one
        from django.db import connection

        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM kudus_cache")
    yield


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
    from regions.services import regions_load

    return regions_load()


@pytest.fixture
def regions_tx(transactional_db):
    from regions.services import regions_load

    return regions_load()


# --- Staff of each role (operator and field staff of Kaliwungu, one operator of Jati) ------------


@pytest.fixture
def admin(regions):
    return staff_user("admin", username="admin")


@pytest.fixture
def supervisor(regions):
    return staff_user("supervisor", username="supervisor")


@pytest.fixture
def operator(regions):
    return staff_user("operator", kecamatan=(KALIWUNGU,), username="op-kaliwungu")


@pytest.fixture
def jati_operator(regions):
    return staff_user("operator", kecamatan=(JATI,), username="op-jati")


@pytest.fixture
def field_staff(regions):
    return staff_user("field", kecamatan=(KALIWUNGU,), username="field-kaliwungu")


@pytest.fixture
def viewer(regions):
    return staff_user("viewer", username="viewer")


@pytest.fixture
def no_role_staff(regions):
    """A staff account in no role group (e.g. one whose role was withdrawn)."""
    return staff_user(username="no-role")


@pytest.fixture
def english(client):
    """Pages in English (the default is Bahasa Indonesia), so tests read the msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def as_user(english):
    """`as_user(user)`: the English-speaking test client, signed in as `user`."""

    def login(user):
        english.force_login(user)
        return english

    return login


@pytest.fixture
def browser(monkeypatch):
    """A headless system Chromium for the whole test (tests.helpers.chromium)."""
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls (services
    # run between page loads) are ordinary blocking calls, which Django would otherwise refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as launched:
        yield launched


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
        try:
            replies = celery_app.control.ping(timeout=0.5)
        except RedisConnectionError:
            # A pooled broker connection from before a Redis restart (the faults tests stop and
            # start it) fails once; redis-py reconnects on the next ping.
            replies = []
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


@pytest.fixture(scope="session")
def deployed(tmp_path_factory):
    """The portal as deployed, started once per run (tests/deployment.py): the production-mode
    stage (tests/deployed/) and the hostile-input table share it."""
    if not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL", "").startswith("postgres")):
        pytest.skip("the production-mode stage needs the PostgreSQL and Redis of `make test`")
    from tests.deployment import deployment_started

    with deployment_started(tmp_path_factory.mktemp("deployed")) as deployment:
        yield deployment


@dataclass
class PasswordRedis:
    """A Redis of a test's own, behind a password with characters a URL must escape, on a plain
    and a TLS port (the shared test Redis stays passwordless and untouched)."""

    port: int
    tls_port: int
    password: str
    ca_file: Path

    def url(self, *, password: str | None = None, escape: bool = True, tls: bool = False) -> str:
        secret = self.password if password is None else password
        userinfo = quote(secret, safe="") if escape else secret
        if tls:
            return f"rediss://:{userinfo}@127.0.0.1:{self.tls_port}/0?ssl_ca_certs={quote(str(self.ca_file))}"
        return f"redis://:{userinfo}@127.0.0.1:{self.port}/0"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def password_redis(tmp_path_factory):
    if not shutil.which("redis-server") or not shutil.which("openssl"):
        pytest.skip("needs redis-server and openssl")
    work = tmp_path_factory.mktemp("redis-auth")
    cert, key = work / "cert.pem", work / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(key),
         "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = PasswordRedis(_free_port(), _free_port(), "kudus p@ss/w:rd%#?", cert)
    process = subprocess.Popen(
        ["redis-server", "--port", str(server.port), "--tls-port", str(server.tls_port),
         "--bind", "127.0.0.1", "--tls-cert-file", str(cert), "--tls-key-file", str(key),
         "--tls-ca-cert-file", str(cert),
         "--tls-auth-clients", "no", "--requirepass", server.password, "--save", "", "--appendonly", "no",
         "--dir", str(work)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.05)
    yield server
    process.terminate()
    process.wait(timeout=10)
