"""Fault injection: a real gunicorn in front of the test database, and hands on the servers.

These tests stop Redis and restart PostgreSQL (the throwaway ones `make test` started, via the
PG_*/REDIS_* variables it exports) around real HTTP requests.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]


def _require_testenv() -> None:
    if not (os.environ.get("PG_DATA") and os.environ.get("REDIS_SERVER_ARGS")):
        pytest.skip("fault injection needs the servers started by `make test` (scripts/testenv.py)")


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class Servers:
    def redis_stop(self) -> None:
        port = os.environ["REDIS_PORT"]
        subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], capture_output=True, timeout=10)
        _wait_port(int(port), open_=False)

    def redis_start(self) -> None:
        port = int(os.environ["REDIS_PORT"])
        if _port_open(port):
            return
        subprocess.run([*shlex.split(os.environ["REDIS_SERVER_ARGS"]), "--daemonize", "yes"], check=True)
        _wait_port(port, open_=True)

    def postgres(self, action: str) -> None:
        args = [f"{os.environ['PG_BIN']}/pg_ctl", "-D", os.environ["PG_DATA"], "-w",
                "-l", f"{os.environ['PG_ROOT']}/server.log"]  # fmt: skip
        if action == "start":
            args += ["-o", os.environ["PG_CTL_OPTIONS"]]
        if action == "stop":
            args += ["-m", "fast"]
        subprocess.run(_as_postgres([*args, action]), check=True, capture_output=True, timeout=60)
        if action == "start":
            # This process's own connections died with the server: let Django open fresh ones.
            for connection in connections.all():
                connection.close_if_unusable_or_obsolete()
                connection.close()


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_port(port: int, *, open_: bool, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_open(port) == open_:
            return
        time.sleep(0.1)
    raise AssertionError(f"port {port} did not {'open' if open_ else 'close'} in {timeout}s")


@pytest.fixture
def servers():
    _require_testenv()
    found = Servers()
    yield found
    found.redis_start()  # leave the session's Redis running for the tests after this one


@dataclass
class Portal:
    base_url: str

    def request(
        self, path: str, *, method: str = "GET", data: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes, float]:
        started = time.monotonic()
        url = self.base_url + path
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - loopback only
                return response.status, response.read(), time.monotonic() - started
        except urllib.error.HTTPError as error:
            return error.code, error.read(), time.monotonic() - started


@pytest.fixture
def gunicorn_portal(transactional_db, servers):
    """The portal on gunicorn (2 workers, persistent health-checked connections) on the test database."""
    db = settings.DATABASES["default"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_DEBUG": "1",
        "KUDUS_TESTING": "1",
        "DB_CONN_MAX_AGE": "600",
        "AXES_ENABLED": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kudus_capil.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--timeout", "30", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        _wait_port(port, open_=True, timeout=30)
        yield Portal(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=15)
