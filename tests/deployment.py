"""The portal as deployed, for tests: production mode (`DJANGO_DEBUG=0`, a random secret, real
allowed hosts, plain HTTP on loopback as `DJANGO_HTTPS=0`), `collectstatic` into a temporary
STATIC_ROOT, gunicorn and a Celery worker on a PostgreSQL database of their own (migrated and
seeded by tests/deployed/seed.py) and the test Redis — what docker-compose.yml runs.

Also the small HTTP pieces the gunicorn-backed tests share (ports, a cookie-carrying client).
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import json
import os
import secrets
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Bodies above this are sent the careful way (HttpClient._request_large).
LARGE_BODY = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port: int, *, open_: bool, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port) == open_:
            return
        time.sleep(0.1)
    raise AssertionError(f"port {port} did not {'open' if open_ else 'close'} in {timeout}s")


def gunicorn_start(
    env: dict[str, str], *, workers: int = 2, threads: int = 1, timeout: int = 30, **popen
) -> tuple:
    """gunicorn serving the portal on a free loopback port; returns (process, base URL)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kudus_capil.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--timeout", str(timeout),
         "--log-level", "warning"],
        cwd=ROOT, env=env, **popen,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"gunicorn did not start (exit status {process.poll()})")
        time.sleep(0.1)
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class Response:
    """What the hostile-input table reads of an answer, shaped like Django's test response."""

    status_code: int
    content: bytes
    headers: dict[str, str]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]

    def json(self):
        return json.loads(self.content)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # answer the 3xx itself, as Django's test client does


class HttpClient:
    """Requests to a running server with the calls of Django's test client that the tests use
    (`get`, `post`, `generic`). It keeps cookies and sends the CSRF token as a browser's page
    script would (cookie + X-CSRFToken header), so a form reaches its validation; redirects are
    not followed."""

    def __init__(self, base_url: str, *, follow: bool = False):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.cookies)]
        self.opener = urllib.request.build_opener(*handlers, *([] if follow else [_NoRedirects()]))

    @property
    def csrf_token(self) -> str:
        return next((cookie.value for cookie in self.cookies if cookie.name == "csrftoken"), "")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = {"X-CSRFToken": self.csrf_token, **(headers or {})}
        if body is not None and len(body) > LARGE_BODY:
            return self._request_large(method, path, body, headers)
        request = urllib.request.Request(  # noqa: S310 - loopback only
            self.base_url + path, data=body, method=method, headers=headers
        )
        try:
            with self.opener.open(request, timeout=30) as answer:
                return Response(
                    answer.status, answer.read(), {k.lower(): v for k, v in answer.headers.items()}
                )
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read(), {k.lower(): v for k, v in error.headers.items()})

    def _request_large(self, method: str, path: str, body: bytes, headers: dict) -> Response:
        """Headers first, then the body only if the server waits for it: a server refusing a
        body by its Content-Length (413) answers and closes without reading it, and urllib,
        still sending, would see a broken pipe instead of the answer."""
        carrier = urllib.request.Request(self.base_url + path, method=method, headers=headers)  # noqa: S310
        self.cookies.add_cookie_header(carrier)
        address = urllib.parse.urlsplit(self.base_url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        try:
            connection.putrequest(method, path)
            for name, value in carrier.header_items():
                connection.putheader(name, value)
            connection.putheader("Content-Length", str(len(body)))
            connection.endheaders()
            answered, _, _ = select.select([connection.sock], [], [], 2.0)
            if not answered:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    connection.send(body)
            answer = connection.getresponse()
            return Response(answer.status, answer.read(), {k.lower(): v for k, v in answer.getheaders()})
        finally:
            connection.close()

    def get(self, path: str, data: dict | None = None) -> Response:
        query = urllib.parse.urlencode(data or {})
        return self.request("GET", f"{path}?{query}" if query else path)

    def post(self, path: str, data: dict) -> Response:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf_token}).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def generic(self, method: str, path: str, body: bytes | str = b"", content_type: str | None = None):
        if isinstance(body, str):
            body = body.encode()
        headers = {"Content-Type": content_type} if content_type else {}
        return self.request(method, path, body if method != "GET" else None, headers)


@dataclass
class Deployment:
    base_url: str
    database_url: str
    redis_url: str
    env: dict[str, str]
    seed: dict  # what tests/deployed/seed.py reported (object ids, logins)
    password: str  # of the stage's staff logins
    logs: Path
    timings: dict[str, float] = field(default_factory=dict)

    def client(self) -> HttpClient:
        client = HttpClient(self.base_url)
        client.get("/accounts/login/")  # a CSRF cookie, as a browser gets with its first page
        return client

    def cursor(self):
        """A cursor on the stage's database (outside Django: the tests' own connection is on the
        test database)."""
        import psycopg2

        connection = psycopg2.connect(self.database_url)
        connection.autocommit = True
        return contextlib.closing(connection)


def _with_db(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def _with_redis_db(url: str, number: int) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{number}"))


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise AssertionError(
            f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
        )
    return done.stdout


@contextlib.contextmanager
def deployment_started(workdir: Path) -> Iterator[Deployment]:
    """Build and start the deployment; stop it and drop its database afterwards. Needs the
    PostgreSQL and Redis of `make test` (scripts/testenv.py)."""
    from celery import Celery

    base_url = os.environ["DATABASE_URL"]
    timings: dict[str, float] = {}
    started = time.monotonic()
    name = f"kudus_stage_{os.getpid()}"
    _sql(base_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    database_url = _with_db(base_url, name)
    # Its own Redis database: the stage's worker must not take the tasks other tests' workers
    # expect (db 0), nor answer their pings.
    redis_url = _with_redis_db(os.environ["REDIS_URL"], 1)
    password = secrets.token_urlsafe(18)
    static_root = workdir / "static"
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if key != "KUDUS_TESTING"}
    env.update(
        DJANGO_SETTINGS_MODULE="kudus_capil.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_HTTPS="0",
        DJANGO_STATIC_ROOT=str(static_root),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        # The rate limits stay on, high enough for the hostile-input table (1,500+ requests from
        # one address): a 429 would hide what validation does with a value.
        THROTTLE_ANON="100000/min",
        THROTTLE_USER="100000/min",
        THROTTLE_BOOKING_ANON="100000/min",
        THROTTLE_BOOKING_USER="100000/min",
        THROTTLE_LOOKUP_ANON="100000/min",
        THROTTLE_LOGIN="100000/min",
        PUBLIC_IDENTITY_MAX_FAILURES="100000",
        # Failed logins per address (core/login_limits.py): the table tries hundreds from 127.0.0.1,
        # and the page visitor signs in from there afterwards.
        LOGIN_FAILURES_PER_ADDRESS="100000",
        PYTHONUNBUFFERED="1",
    )
    processes: list[subprocess.Popen] = []
    try:
        _run(
            [sys.executable, "manage.py", "collectstatic", "--noinput"], env, "collectstatic (DJANGO_DEBUG=0)"
        )
        timings["collectstatic"] = time.monotonic() - started
        mark = time.monotonic()
        seed_out = _run(
            [sys.executable, "-m", "tests.deployed.seed"], {**env, "STAGE_PASSWORD": password}, "seed"
        )
        seed = json.loads(seed_out.strip().splitlines()[-1])
        timings["migrate and seed"] = time.monotonic() - mark
        mark = time.monotonic()
        with (logs / "gunicorn.log").open("w") as log:
            server, url = gunicorn_start(env, workers=2, threads=2, stdout=log, stderr=subprocess.STDOUT)
        processes.append(server)
        with (logs / "worker.log").open("w") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "kudus_capil", "worker", "--pool", "solo",
                 "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        processes.append(worker)
        # Not the current app: the tests' own tasks must keep using the portal's app.
        probe = Celery(broker=redis_url, set_as_current=False)
        try:
            deadline = time.monotonic() + 30
            while not probe.control.ping(timeout=0.5):
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"the stage's Celery worker did not start:\n{_tail(logs / 'worker.log')}"
                    )
        finally:
            probe.close()
        timings["gunicorn and worker up"] = time.monotonic() - mark
        yield Deployment(url, database_url, redis_url, env, seed, password, logs, timings)
    finally:
        for process in reversed(processes):
            stop(process)
        # A new connection: the fault tests may have restarted PostgreSQL meanwhile.
        _sql(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sql(url: str, *statements: str) -> None:
    import psycopg2

    connection = psycopg2.connect(url)
    connection.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def _tail(path: Path, size: int = 4000) -> str:
    return path.read_text(errors="replace")[-size:] if path.exists() else ""
