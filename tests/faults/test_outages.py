from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from core.models import OutboxMessage
from core.outbox import outbox_relay
from core.roles import staff_create
from registrations.models import CoverageRun
from registrations.services.service_requests import service_request_create, service_request_start
from schedules.models import Appointment
from schedules.services import appointment_book, appointment_reminders_enqueue
from tests.factories import OutreachSessionFactory, citizen_aged
from tests.helpers import api_token, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = ["/", "/api/v1/regions/", "/accounts/login/"]
PASSWORD = "kudus-Fault-2024!"
# Seconds: no web request may wait on the broker. A stopped Redis refuses connections at once, so
# a request that waited would be one stuck in a reconnect loop (tens of seconds); the margin is for
# a busy shared machine, not for the broker.
QUICK = 5


def _local(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _book(session, citizen, *, now=None, email: str = "") -> Appointment:
    return appointment_book(
        slot=session.slots.order_by("starts_at").first(),
        citizen=citizen,
        service="recording",
        reason="new",
        email=email,
        now=now,
    ).appointment


def test_with_redis_down_the_portal_keeps_serving_and_healthz_says_degraded(
    gunicorn_portal, servers, regions_tx
):
    servers.redis_stop()
    for path in PUBLIC_PAGES:
        status, _body, seconds = gunicorn_portal.request(path)
        assert status == 200, path
        assert seconds < QUICK, f"{path} took {seconds:.1f}s with Redis down"
    status, body, _ = gunicorn_portal.request("/healthz")
    health = json.loads(body)
    assert status == 200
    assert health["database"]["ok"] is True and health["broker"]["ok"] is False
    assert health["status"] == "degraded"

    servers.redis_start()
    status, body, _ = gunicorn_portal.request("/healthz")
    assert json.loads(body)["broker"]["ok"] is True


def test_outbox_messages_written_while_redis_is_down_are_sent_once_it_is_back(servers, transactional_db):
    from django.db import transaction

    from core import outbox
    from kudus_capil.celery import app

    app.conf.task_always_eager = False
    servers.redis_stop()
    started = time.monotonic()
    with transaction.atomic():
        message = outbox.outbox_enqueue("core.tasks.purge_outbox", {})
    assert time.monotonic() - started < 5  # the commit did not wait on the broker for long
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.PENDING

    servers.redis_start()
    outbox._broker_backoff_until = 0.0
    assert outbox_relay() == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT


def test_postgres_restart_gives_503_then_every_worker_serves_reads_and_writes_again(
    start_portal, servers, regions_tx
):
    today = timezone.localdate()
    session = OutreachSessionFactory(date=today + dt.timedelta(days=3), slot_capacity=50)
    slot = session.slots.order_by("starts_at").first()
    citizens = [citizen_aged(20 + n, on=today) for n in range(10)]
    portal = start_portal(THROTTLE_BOOKING_ANON="1000/min")
    for _ in range(6):  # warm persistent connections in both workers
        assert portal.request("/api/v1/regions/")[0] == 200
    servers.postgres("stop")
    try:
        status, body, seconds = portal.request("/healthz")
        assert status == 503
        assert json.loads(body)["database"]["ok"] is False
        assert seconds < 10
        status, body, seconds = portal.request("/api/v1/regions/")
        assert status >= 500 and seconds < 10  # fails fast, does not hang
    finally:
        servers.postgres("start")
    statuses = []
    for citizen in citizens:  # reads and writes alternate over both workers, none may fail
        statuses.append(portal.request("/healthz")[0])
        statuses.append(portal.request("/api/v1/regions/")[0])
        booking = {"nik": citizen.nik, "kk": citizen.kk, "service": "recording",
                   "reason": "new", "slot": slot.pk}  # fmt: skip
        statuses.append(portal.json("/api/v1/appointments/", booking)[0])
    assert statuses == [200, 200, 201] * 10
    slot.refresh_from_db()
    assert slot.booked == Appointment.objects.filter(slot=slot, status="active").count() == 10


@pytest.mark.celery_worker
def test_with_redis_down_booking_staff_work_and_the_dashboard_go_on_and_the_tasks_run_when_it_is_back(
    start_portal, servers, regions_tx, request
):
    today = timezone.localdate()
    open_session = OutreachSessionFactory(date=today + dt.timedelta(days=3), slot_capacity=20)
    doomed_session = OutreachSessionFactory(date=today + dt.timedelta(days=4))
    tomorrow_session = OutreachSessionFactory(date=today + dt.timedelta(days=1))
    passed_session = OutreachSessionFactory(date=today - dt.timedelta(days=1))
    form_citizen, api_citizen = citizen_aged(20, on=today), citizen_aged(21, on=today)
    doomed = _book(doomed_session, citizen_aged(22, on=today), email="warga@example.id")
    upcoming = _book(tomorrow_session, citizen_aged(23, on=today))
    passed = _book(passed_session, citizen_aged(24, on=today), now=timezone.now() - dt.timedelta(days=5))
    operator = staff_create(
        username="op-fault", role="operator", kecamatan_codes=["33.19.01"], password=PASSWORD
    )
    token = api_token(operator)
    serving = service_request_start(
        service_request=service_request_create(
            citizen=citizen_aged(30, on=today), service="recording", reason="new", channel="kecamatan"
        ),
        actor=operator,
    )
    cache.clear()  # throttle counters live in the database cache, shared with gunicorn
    portal = start_portal(THROTTLE_BOOKING_ANON="3/min")

    servers.redis_stop()
    timings: dict[str, float] = {}

    status, _body, timings["sessions"] = portal.request("/")
    assert status == 200
    # The public form: GET (CSRF cookie), POST, 303 to the confirmation.
    citizen_browser = portal.browser()
    form_path = f"/appointments/new/?session={open_session.pk}"
    assert citizen_browser.get(form_path)[0] == 200
    status, page, timings["form booking"] = citizen_browser.post(
        form_path,
        {
            "nik": form_citizen.nik,
            "kk": form_citizen.kk,
            "service": "recording",
            "reason": "new",
            "slot": open_session.slots.order_by("starts_at").first().pk,
            "phone": "081234567890",
        },
    )
    assert status == 200 and "/confirmation/" in citizen_browser.last_url, page[:500]
    assert form_citizen.nik not in citizen_browser.last_url and "0812" not in citizen_browser.last_url
    # The JSON API.
    status, body, timings["api booking"] = portal.json(
        "/api/v1/appointments/",
        {
            "nik": api_citizen.nik,
            "kk": api_citizen.kk,
            "service": "recording",
            "reason": "new",
            "slot": open_session.slots.order_by("starts_at").first().pk,
        },
    )
    assert status == 201, body
    # Staff: the dashboard through the login form, then two actions that publish tasks.
    staff_browser = portal.browser()
    assert staff_browser.get("/accounts/login/")[0] == 200
    # (The login is not timed: hashing the password alone takes seconds on a busy machine.)
    status, _page, _seconds = staff_browser.post(
        "/accounts/login/", {"username": "op-fault", "password": PASSWORD}
    )
    assert status == 200 and staff_browser.last_url.endswith("/dashboard/")
    status, _page, timings["dashboard"] = staff_browser.get("/dashboard/citizens/")
    assert status == 200
    status, body, timings["complete request"] = portal.json(
        f"/api/v1/service-requests/{serving.pk}/complete/", {}, token=token
    )
    assert status == 200 and json.loads(body)["status"] == "completed"
    status, body, timings["cancel session"] = portal.json(
        f"/api/v1/sessions/{doomed_session.pk}/cancel/", {"reason": "banjir"}, token=token
    )
    assert status == 200 and json.loads(body)["cancelled_appointments"] == 1
    slow = {name: round(seconds, 2) for name, seconds in timings.items() if seconds >= QUICK}
    assert slow == {}, f"requests waited on the broker: {slow}"

    # Throttling uses the database cache: with Redis down it still counts and answers 429 (the
    # form and the API booking above took two of the 3 allowed per minute: one budget per address).
    statuses = [portal.json("/api/v1/appointments/", {})[0] for _ in range(2)]
    assert statuses == [400, 429]
    status, body, _ = portal.json("/api/v1/appointments/", {})
    assert (status, json.loads(body)["code"]) == (429, "throttled")

    # The beat's reminder sweep also runs while Redis is down: yesterday's one (its appointment
    # has passed) and tomorrow's one both wait in the outbox.
    assert appointment_reminders_enqueue(now=_local(today - dt.timedelta(days=2), 10)) == 1
    assert appointment_reminders_enqueue(now=_local(today, 10)) == 1
    pending = OutboxMessage.objects.filter(status="pending")
    assert {m.task for m in pending} >= {
        "registrations.tasks.recompute_coverage",
        "schedules.tasks.appointment_notify_cancelled",
        "schedules.tasks.appointment_send_reminder",
    }
    assert all(isinstance(v, int) for m in pending for v in m.kwargs.values())  # ids only

    # Redis is back: the sweeper (on a real worker) relays everything; the worker runs it.
    servers.redis_start()
    request.getfixturevalue("celery_worker_process")
    from core.tasks import relay_outbox

    relay_outbox.delay()
    assert wait_for(lambda: not OutboxMessage.objects.filter(status="pending").exists())
    assert wait_for(lambda: Appointment.objects.get(pk=doomed.pk).cancel_notified_at is not None)
    assert wait_for(lambda: Appointment.objects.get(pk=upcoming.pk).reminder_sent_at is not None)
    reminders = OutboxMessage.objects.filter(task="schedules.tasks.appointment_send_reminder")
    assert reminders.get(kwargs={"appointment_id": passed.pk}).status == "expired"
    assert reminders.get(kwargs={"appointment_id": upcoming.pk}).status == "sent"
    assert Appointment.objects.get(pk=passed.pk).reminder_sent_at is None  # never sent late
    assert OutboxMessage.objects.get(task="registrations.tasks.recompute_coverage").status == "sent"
    # …and the worker recomputed coverage with the completion that asked for it.
    assert wait_for(lambda: CoverageRun.objects.exists())
