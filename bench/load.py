#!/usr/bin/env python3
"""Load test: a morning rush on the public booking against gunicorn + PostgreSQL on this machine.

    make bench-load                                        # throwaway PostgreSQL + Redis
    python bench/load.py --users 200 --duration 60         # with DATABASE_URL set (PostgreSQL)

Seeds the demo population (--citizens, modest) and a few large "rush" sessions, starts the portal
on gunicorn in production mode on 127.0.0.1 only, then runs locust headless, bounded in time
(--duration) and in count (each simulated citizen books at most --bookings-per-user times, from a
fixed pool of identities): --users citizens on the session list and the booking form/API, and
--staff-users staff on the dashboard at the same time. It prints throughput, median and p95 per
endpoint and the errors, then checks the data: no slot over capacity, slot counters equal to their
bookings, no duplicate active booking, blank ledger = balances. Exit status 1 on any violation (or
on request errors above --max-error-rate).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import ROOT, setup_django

HOST = "127.0.0.1"  # loopback only: this never talks to another machine
STAFF_PASSWORD = "bench-Load-2024!"  # throwaway accounts on a throwaway database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def seed(citizens: int) -> str:
    from django.core.management import call_command

    from registrations.models import Citizen

    started = time.perf_counter()
    if Citizen.objects.count() != citizens:
        call_command("seed_demo", citizens=citizens, verbosity=0)
    return f"seeded {Citizen.objects.count():,} residents in {time.perf_counter() - started:.1f} s"


def rush_sessions(day: dt.date) -> list:
    """Three big sessions on one morning (10 desks, 20 places per 15-minute slot)."""
    from schedules.models import OutreachSession
    from schedules.services import session_create

    sessions = []
    for code, name in (("33.19.01", "Kaliwungu"), ("33.19.02", "Kota Kudus"), ("33.19.03", "Jati")):
        existing = OutreachSession.objects.filter(title=f"Rush {name}", date=day).first()
        sessions.append(
            existing
            or session_create(
                kind="kecamatan", title=f"Rush {name}", venue_name=f"Pendopo {name}", kecamatan=code,
                date=day, start_time=dt.time(8), end_time=dt.time(11),
                services=["recording", "printing", "ikd_activation"], desks=10, slot_capacity=20,
            )
        )  # fmt: skip
    return sessions


def identities(count: int, day: dt.date) -> list[dict]:
    """Residents who may book a (damaged-card) printing on `day`, checked by the booking rule."""
    from django.db.models import Q

    from core.exceptions import ApplicationError
    from registrations.models import Citizen
    from schedules.services.eligibility import booking_eligibility_check

    found = []
    candidates = Citizen.objects.filter(
        Q(deceased=False, moved_out=False, recorded_at__isnull=False),
        birth_date__lte=day.replace(year=day.year - 18),
    ).order_by("id")
    for citizen in candidates.iterator():
        try:
            booking_eligibility_check(citizen=citizen, service="printing", reason="damaged", on=day)
        except ApplicationError:
            continue
        found.append(
            {"nik": citizen.nik, "birth_date": citizen.birth_date.isoformat(), "service": "printing",
             "reason": "damaged"}
        )  # fmt: skip
        if len(found) == count:
            break
    return found


def staff_logins(count: int) -> list[dict]:
    from core.roles import staff_create
    from registrations.models import Citizen

    logins = []
    kecamatan = ["33.19.01", "33.19.02", "33.19.03", "33.19.04", "33.19.05"]
    for index in range(count):
        role = "supervisor" if index % 3 == 0 else "operator"
        code = kecamatan[index % len(kecamatan)]
        username = f"bench-{role}-{index}"
        staff_create(username=username, role=role, kecamatan_codes=[] if role == "supervisor" else [code],
                     password=STAFF_PASSWORD)  # fmt: skip
        ids = list(Citizen.objects.filter(desa__kecamatan_id=code).values_list("id", flat=True)[:200])
        logins.append({"username": username, "password": STAFF_PASSWORD, "citizen_ids": ids})
    return logins


def production_env(port: int) -> dict:
    return {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_HTTPS": "0",
        # As behind one reverse proxy: the simulated citizens' X-Forwarded-For is their address.
        "TRUSTED_PROXY_COUNT": "1",
        "DB_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "ERROR",  # not a line per 409 of the rush
        "PUBLIC_BASE_URL": f"http://{HOST}:{port}",
    }


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = production_env(port)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kudus_capil.wsgi", "--bind", f"{HOST}:{port}",
         "--workers", str(workers), "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def run_locust(args, port: int, data_file: Path, out: Path) -> None:
    env = {**os.environ, "LOAD_DATA": str(data_file), "LOAD_OUTCOMES": f"{out}_outcomes.json"}
    log = open(f"{out}.log", "w", encoding="utf-8")  # noqa: SIM115 - locust's own summary, kept quiet
    completed = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "load_locustfile.py"), "--headless",
         "--host", f"http://{HOST}:{port}", "--users", str(args.users + args.staff_users),
         "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.duration}s", "--stop-timeout", "10",
         "--csv", str(out), "--only-summary", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, check=False, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    if completed.returncode not in (0, 1):  # 1: locust saw failed requests, reported below
        print(Path(f"{out}.log").read_text(encoding="utf-8")[-3000:])
        raise SystemExit(f"locust exited with {completed.returncode}")


def report(out: Path, duration: int) -> tuple[int, int]:
    """Print the per-endpoint table; returns (requests, failures)."""
    with open(f"{out}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    print(f"\n{'endpoint':46} {'requests':>8} {'req/s':>7} {'median':>7} {'p95':>7} {'errors':>6}")
    total = failures = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        requests = int(row["Request Count"])
        errors = int(row["Failure Count"])
        median, p95 = float(row["Median Response Time"] or 0), float(row["95%"] or 0)
        print(f"{name[:46]:46} {requests:8d} {float(row['Requests/s']):7.1f} "
              f"{median:5.0f}ms {p95:5.0f}ms {errors:6d}")  # fmt: skip
        if name == "ALL":
            total, failures = requests, errors
    outcomes = json.loads(Path(f"{out}_outcomes.json").read_text(encoding="utf-8"))
    print("bookings: " + ", ".join(f"{count} {what}" for what, count in sorted(outcomes.items())))
    with open(f"{out}_failures.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            print(f"  error: {row['Method']} {row['Name']}: {row['Error'][:100]} ×{row['Occurrences']}")
    return total, failures


def check_data() -> list[str]:
    from django.db.models import Count, F, Q

    from blanks.selectors import blank_ledger_verify
    from schedules.models import Appointment, Slot

    problems = []
    over = Slot.objects.filter(booked__gt=F("capacity")).count()
    if over:
        problems.append(f"{over} slot(s) over capacity")
    drift = (
        Slot.objects.annotate(
            held=Count("appointments", filter=Q(appointments__status__in=Appointment.HOLDING))
        )
        .exclude(held=F("booked"))
        .count()
    )
    if drift:
        problems.append(f"{drift} slot(s) whose counter differs from their bookings")
    duplicates = (
        Appointment.objects.filter(status="active")
        .values("citizen", "service")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    if duplicates:
        problems.append(f"{duplicates} citizen(s) with two active bookings for one service")
    ledger = blank_ledger_verify()
    if not ledger.ok:
        problems.append(f"blank ledger differs from balances: {len(ledger.mismatches)} location(s)")
    booked = Appointment.objects.filter(status="active").count()
    full = Slot.objects.filter(booked=F("capacity")).count()
    print(f"\ndata: {booked:,} active bookings, {full} slot(s) full, {ledger.locations} stock locations, "
          f"{ledger.movements} ledger movements")  # fmt: skip
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200, help="concurrent citizens")
    parser.add_argument("--staff-users", type=int, default=10, help="concurrent staff on the dashboard")
    parser.add_argument("--spawn-rate", type=float, default=50, help="users started per second")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--bookings-per-user", type=int, default=3)
    parser.add_argument("--citizens", type=int, default=20_000, help="demo residents to seed")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn workers")
    parser.add_argument("--max-error-rate", type=float, default=0.01)
    args = parser.parse_args()

    setup_django()
    from django.utils import timezone

    print(seed(args.citizens))
    day = timezone.localdate() + dt.timedelta(days=1)
    sessions = rush_sessions(day)
    people = identities(args.users * args.bookings_per_user, day)
    places = sum(slot.capacity - slot.booked for session in sessions for slot in session.slots.all())
    print(f"rush: {len(sessions)} sessions on {day} with {places:,} free places; {len(people):,} identities")
    data = {
        "identities": people,
        "staff": staff_logins(max(args.staff_users, 1)),
        "staff_users": args.staff_users,
        "bookings_per_user": args.bookings_per_user,
    }
    from django.db import connections

    connections.close_all()
    with tempfile.TemporaryDirectory() as tmp:
        data_file = Path(tmp) / "load.json"
        data_file.write_text(json.dumps(data), encoding="utf-8")
        port = free_port()
        gunicorn = start_gunicorn(port, args.workers)
        try:
            print(f"load: {args.users} citizens + {args.staff_users} staff for {args.duration} s "
                  f"against gunicorn ({args.workers} workers) on {HOST}:{port}")  # fmt: skip
            started = time.perf_counter()
            run_locust(args, port, data_file, Path(tmp) / "load")
            elapsed = time.perf_counter() - started
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        total, failures = report(Path(tmp) / "load", args.duration)
    print(f"\n{total:,} requests in {elapsed:.0f} s: {total / elapsed:.1f} req/s overall, {failures} errors")
    problems = check_data()
    if total and failures / total > args.max_error_rate:
        problems.append(f"error rate {failures / total:.2%} above {args.max_error_rate:.2%}")
    for problem in problems:
        print(f"VIOLATION: {problem}")
    if not problems:
        print("checks: no slot over capacity, counters = bookings, no duplicate active booking, ledger OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
