"""Fault injection: a real gunicorn in front of the test database, and hands on the servers.

These tests stop Redis and restart PostgreSQL (the throwaway ones `make test` started, via the
PG_*/REDIS_* variables it exports) around real HTTP requests.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shlex
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests.deployment import gunicorn_start, port_open, stop, wait_port

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
        wait_port(int(port), open_=False)

    def redis_start(self) -> None:
        port = int(os.environ["REDIS_PORT"])
        if port_open(port):
            return
        subprocess.run([*shlex.split(os.environ["REDIS_SERVER_ARGS"]), "--daemonize", "yes"], check=True)
        wait_port(port, open_=True)

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

    def json(self, path: str, body: dict, *, method: str = "POST", token: str | None = None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        return self.request(path, method=method, data=json.dumps(body).encode(), headers=headers)

    def browser(self) -> Browser:
        return Browser(self.base_url)


class Browser:
    """A cookie-carrying client: GETs a form, then POSTs it with the CSRF token from the cookie."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.last_url = ""

    def _open(self, request: urllib.request.Request) -> tuple[int, str, float]:
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=15) as response:
                self.last_url = response.geturl()
                return response.status, response.read().decode(), time.monotonic() - started
        except urllib.error.HTTPError as error:
            self.last_url = error.geturl()
            return error.code, error.read().decode(errors="replace"), time.monotonic() - started

    def get(self, path: str) -> tuple[int, str, float]:
        return self._open(urllib.request.Request(self.base_url + path))  # noqa: S310

    def post(self, path: str, fields: dict) -> tuple[int, str, float]:
        """POST a form (redirects followed, as a browser does); the CSRF token is the cookie's."""
        csrf = next((c.value for c in self.cookies if c.name == settings.CSRF_COOKIE_NAME), "")
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": csrf}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": self.base_url + path}
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers)  # noqa: S310
        return self._open(request)


@pytest.fixture
def start_portal(transactional_db, servers):
    """Start the portal on gunicorn (2 workers, persistent health-checked connections) on the test
    database; keyword arguments are extra environment variables (throttle rates…)."""
    processes = []

    def start(**extra_env: str) -> Portal:
        db = settings.DATABASES["default"]
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "DJANGO_DEBUG": "1",
            "KUDUS_TESTING": "1",
            "DB_CONN_MAX_AGE": "600",
            "AXES_ENABLED": "0",
            **extra_env,
        }
        process, base_url = gunicorn_start(env, workers=2)
        processes.append(process)
        return Portal(base_url)

    yield start
    for process in processes:
        stop(process)


@pytest.fixture
def gunicorn_portal(start_portal):
    return start_portal()
