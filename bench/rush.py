#!/usr/bin/env python3
"""Throughput of the booking rush page (the public session list, `/`) beside `/healthz`, on the same
gunicorn server in production mode, in the same run (issue 15; target: the page serves at least half
the rate of `/healthz`).

    make bench-rush                                        # throwaway PostgreSQL + Redis
    python bench/rush.py --clients 8 --seconds 10          # with DATABASE_URL (and REDIS_URL) set

Seeds the demo (--citizens residents, the demo sessions of the next three weeks) plus a session for
every kecamatan on each of the next 7 days, and books --bookings places in them through the booking
service, so the list shows realistic "places left" figures. Then starts gunicorn in production mode
(DJANGO_DEBUG=0, static files collected into a temporary directory, gthread workers as the image
runs them) on 127.0.0.1 only and, with --clients concurrent keep-alive clients, alternates
--rounds times between `/healthz` and the session list (Indonesian, first page, and the same page
filtered by a service and a kecamatan), --seconds each. Every answer must be 200, and every session
list must list sessions, else the run fails. Prints requests/s, median and p95 of each and the
ratio to `/healthz`. With --compare-uncached the session list is also measured on a second server
whose session-list cache is off (SCHEDULES_PUBLIC_LIST_CACHE_SECONDS=0), to show what the cache
buys.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from _setup import ROOT, setup_django

HOST = "127.0.0.1"  # loopback only
TARGET_RATIO = 0.5
WEEK = 7


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def seed(citizens: int, bookings: int) -> str:
    """Demo population and sessions, a session in every kecamatan on each day of the coming week,
    and `bookings` places taken in them (through the booking service)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from core.exceptions import ApplicationError
    from regions.models import Kecamatan
    from registrations.models import Citizen
    from schedules.models import Appointment, OutreachSession, Slot
    from schedules.services import appointment_book, session_create

    started = time.perf_counter()
    if Citizen.objects.count() != citizens:
        call_command("seed_demo", citizens=citizens, verbosity=0)
    today = timezone.localdate()
    kecamatan = Kecamatan.objects.filter(kabupaten_id=settings.KUDUS_KABUPATEN_CODE).order_by("code")
    for offset in range(1, WEEK + 1):
        day = today + dt.timedelta(days=offset)
        for area in kecamatan:
            title = f"Pelayanan Keliling {area.name}"
            if not OutreachSession.objects.filter(title=title, date=day).exists():
                session_create(
                    kind="kecamatan", title=title, venue_name=f"Balai Desa di {area.name}", kecamatan=area,
                    date=day, start_time=dt.time(8), end_time=dt.time(12),
                    services=["recording", "printing", "ikd_activation"], desks=3,
                )  # fmt: skip
    week_slots = list(
        Slot.objects.filter(session__title__startswith="Pelayanan Keliling", session__date__gt=today)
        .order_by("session__date", "starts_at", "pk")
        .values_list("pk", flat=True)
    )
    missing = bookings - Appointment.objects.filter(slot_id__in=week_slots, status="active").count()
    if missing > 0:
        # Recorded adults replacing a damaged card: the booking most of the demo population may make.
        candidates = Citizen.objects.filter(
            deceased=False, moved_out=False, recorded_at__isnull=False,
            birth_date__lte=today.replace(year=today.year - 18),
        ).exclude(appointments__status="active").order_by("id")  # fmt: skip
        position = 0
        for citizen in candidates.iterator():
            if missing <= 0:
                break
            slot = Slot.objects.select_related("session").get(pk=week_slots[position % len(week_slots)])
            position += 1
            try:
                appointment_book(slot=slot, citizen=citizen, service="printing", reason="damaged")
            except ApplicationError:
                continue
            missing -= 1
    sessions = OutreachSession.objects.filter(date__gte=today).count()
    taken = Appointment.objects.filter(status="active").count()
    return (
        f"seeded {Citizen.objects.count():,} residents, {sessions} sessions from today, {taken:,} active "
        f"bookings in {time.perf_counter() - started:.1f} s"
    )


def start_gunicorn(port: int, workers: int, threads: int, static_root: str, cache_seconds: int | None):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_HTTPS": "0",
        "DJANGO_STATIC_ROOT": static_root,
        "DB_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "ERROR",
        "PUBLIC_BASE_URL": f"http://{HOST}:{port}",
        "GUNICORN_ACCESS_LOG": "",
    }
    if cache_seconds is not None:
        env["SCHEDULES_PUBLIC_LIST_CACHE_SECONDS"] = str(cache_seconds)
    if not os.path.exists(os.path.join(static_root, "staticfiles.json")):
        collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"]
        subprocess.run(collect, cwd=ROOT, env=env, check=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kudus_capil.wsgi", "--bind", f"{HOST}:{port}",
         "--workers", str(workers), "--threads", str(threads), "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


class Failure(Exception):
    pass


def _check(path: str, status: int, body: bytes) -> None:
    if status != 200:
        raise Failure(f"GET {path}: {status}")
    if path != "/healthz" and b'data-testid="session"' not in body:
        raise Failure(f"GET {path}: no session in the list")


_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


class _Client:
    """A bare HTTP/1.1 keep-alive client on a socket: a few microseconds of CPU per request, so the
    server, not the client (on the same cores), is what the rates measure."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAccept-Language: id\r\n\r\n".encode()
        for _attempt in range(2):
            if self.sock is None:
                self.sock = socket.create_connection((HOST, self.port), timeout=30)
            try:
                self.sock.sendall(request)
                return self._response()
            except (OSError, ConnectionError):
                self.close()
        raise Failure(f"GET {path}: the connection failed twice")

    def _response(self) -> tuple[int, bytes]:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = _LENGTH.search(head)
        if length is None:
            raise Failure("a response without Content-Length")
        remaining = int(length.group(1)) - len(body)
        parts = [body]
        while remaining > 0:
            chunk = self.sock.recv(min(remaining, 262144))
            if not chunk:
                raise ConnectionError("closed")
            parts.append(chunk)
            remaining -= len(chunk)
        if b"\r\nconnection: close" in head.lower():
            self.close()
        return int(head[9:12]), b"".join(parts)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def measure(port: int, paths: list[str], clients: int, seconds: float) -> dict:
    """`clients` threads, each on its own keep-alive connection, request `paths` in turn for
    `seconds`; returns the count, the time, the latencies and the client's own CPU time."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        connection = _Client(port)
        mine: list[float] = []
        turn = index
        try:
            while time.perf_counter() < stop:
                path = paths[turn % len(paths)]
                turn += 1
                started = time.perf_counter()
                status, body = connection.get(path)
                mine.append(time.perf_counter() - started)
                _check(path, status, body)
        except Failure as failure:
            with lock:
                errors.append(str(failure))
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    cpu = time.process_time()
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"failed: {errors[0]}")
    return {"seconds": elapsed, "latencies": latencies, "client_cpu": time.process_time() - cpu}


def merge(results: list[dict]) -> dict:
    latencies = sorted(value for result in results for value in result["latencies"])
    seconds = sum(result["seconds"] for result in results)
    client_cpu = sum(result["client_cpu"] for result in results)
    return {
        "client_ms": client_cpu * 1000 / len(latencies) if latencies else 0.0,
        "requests": len(latencies),
        "rate": len(latencies) / seconds if seconds else 0.0,
        "median": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p95": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else 0.0,
    }


def list_paths() -> list[str]:
    """The first page of the list as most citizens open it, and as filtered from its form."""
    return ["/", "/", "/", "/?service=recording&kecamatan=33.19.03", "/?service=printing"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--citizens", type=int, default=5_000, help="demo residents to seed")
    parser.add_argument("--bookings", type=int, default=300, help="bookings in the week's sessions")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternations healthz / session list")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (the image: 3)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (the image: 4)")
    parser.add_argument(
        "--compare-uncached", action="store_true", help="also measure the list with its cache off"
    )
    args = parser.parse_args()

    setup_django()
    print(seed(args.citizens, args.bookings))
    from django.db import connections

    connections.close_all()

    configurations = [("session list", None)]
    if args.compare_uncached:
        configurations.append(("session list, cache off", 0))
    rows = []
    with tempfile.TemporaryDirectory() as static_root:
        for label, cache_seconds in configurations:
            port = free_port()
            server = start_gunicorn(port, args.workers, args.threads, static_root, cache_seconds)
            try:
                for path in ["/healthz", *list_paths()]:  # warm-up: every worker, every page
                    measure(port, [path], args.clients, 1)
                health, page = [], []
                for _round in range(args.rounds):
                    health.append(measure(port, ["/healthz"], args.clients, args.seconds))
                    page.append(measure(port, list_paths(), args.clients, args.seconds))
            finally:
                server.terminate()
                server.wait(timeout=30)
            rows.append(("/healthz" if cache_seconds is None else "/healthz (second server)", merge(health)))
            rows.append((label, merge(page)))

    load = os.getloadavg()[0]
    print(f"\ngunicorn {args.workers} workers × {args.threads} threads, {args.clients} clients, "
          f"{args.rounds} × {args.seconds:.0f} s each, load average {load:.1f}")  # fmt: skip
    print(f"{'':28} {'requests':>8} {'req/s':>8} {'median':>8} {'p95':>8} {'ratio':>6} {'client CPU':>11}")
    health_rate = rows[0][1]["rate"]
    for label, row in rows:
        if label.startswith("/healthz"):
            health_rate = row["rate"]
        ratio = row["rate"] / health_rate if health_rate else 0.0
        print(f"{label:28} {row['requests']:8d} {row['rate']:8.1f} {row['median']:6.1f}ms "
              f"{row['p95']:6.1f}ms {ratio:6.2f} {row['client_ms']:6.2f}ms/req")  # fmt: skip
    ratio = rows[1][1]["rate"] / rows[0][1]["rate"]
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"\nsession list / healthz = {ratio:.2f}: {verdict} the target of {TARGET_RATIO}")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
