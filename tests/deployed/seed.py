"""Seed the production-mode stage's database, so that every page has something to show.

Run by tests/deployment.py as `python -m tests.deployed.seed` with the stage's environment
(DJANGO_DEBUG=0, its DATABASE_URL and secret): migrate, regions and roles, a small demo
population with the demo sessions and stock, one object of every kind in two kecamatan (the access
matrix's world), the hostile-input table's world, a row for every model the admin shows, and two
staff logins (a supervisor and an admin) with the password in STAGE_PASSWORD. The last line of
stdout is JSON: the ids and codes the stage fills URLs with.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import django


def main() -> None:
    django.setup()

    from django.contrib import admin
    from django.contrib.auth.tokens import default_token_generator
    from django.core.management import call_command
    from django.utils import timezone
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from blanks.demo import blanks_demo_seed
    from core.roles import roles_setup
    from regions.services import regions_load
    from registrations.coverage import coverage_recompute
    from registrations.models import Citizen, ServiceRequest
    from registrations.services.demo import demo_population_generate
    from schedules.demo import schedules_demo_seed
    from schedules.models import Appointment, OutreachSeries, OutreachSession, Slot
    from tests.factories import hostile_world, kecamatan_world, staff_user
    from tests.helpers import KALIWUNGU as A

    call_command("migrate", interactive=False, verbosity=0)
    regions_load()
    roles_setup()
    today = timezone.localdate()
    demo_population_generate(citizens=400, seed=2024)
    schedules_demo_seed(today=today)
    blanks_demo_seed()
    world = kecamatan_world()
    hostile = hostile_world()

    password = os.environ["STAGE_PASSWORD"]
    logins = {}
    for role in ("supervisor", "admin"):
        user = staff_user(role, username=f"stage-{role}", is_superuser=role == "admin")
        user.set_password(password)
        user.save()
        logins[role] = user.username
    _admin_rows(today)
    coverage_recompute()
    waitlist = _waitlist_offer(today)

    mine = world[A]
    reset_user = type(user).objects.get(username=logins["supervisor"])
    print(
        json.dumps(
            {
                "logins": logins,
                "objects": {
                    "citizen": mine[Citizen].pk,
                    "request": mine[ServiceRequest].pk,
                    "session": mine[OutreachSession].pk,
                    "series": mine[OutreachSeries].pk,
                    "slot": mine[Slot].pk,
                    "appointment": mine[Appointment].code,
                    "location": mine[_model("blanks.StockLocation")].code,
                    "visit": mine[_model("schedules.QueueTicket")].pk,
                },
                # A booking the public manages (code and manage token).
                "booking": {"code": hostile["code"], "token": hostile["token"]},
                "queue_session": hostile["session"].pk,
                # A full session with a waiting list, and an open offer of a freed place (its link).
                "waitlist": waitlist,
                "password_reset": {
                    "uidb64": urlsafe_base64_encode(force_bytes(reset_user.pk)),
                    "token": default_token_generator.make_token(reset_user),
                },
                # One object per model the admin shows (None: the seed made none).
                "admin": {
                    model._meta.label_lower: model._default_manager.order_by("pk")
                    .values_list("pk", flat=True)
                    .first()
                    for model in admin.site._registry
                },
                "hostile": {
                    "citizen": {
                        "nik": hostile["citizen"].nik,
                        "kk": hostile["citizen"].kk,
                        "birth_date": hostile["citizen"].birth_date.isoformat(),
                    },
                    "session": hostile["session"].pk,
                    "slot": hostile["slot"].pk,
                    "new_slot": hostile["new_slot"].pk,
                    "code": hostile["code"],
                    "token": hostile["token"],
                },
            }
        )
    )


def _waitlist_offer(today: dt.date) -> dict:
    """A one-place session: booked, a resident waiting, the booking cancelled: the place is offered."""
    from schedules.models import WaitlistEntry
    from schedules.services import appointment_book, appointment_cancel, waitlist_join, waitlist_sweep
    from schedules.services.waiting_list import leave_path, offer_link_value, offer_path
    from tests.factories import OutreachSessionFactory, citizen_aged

    day = today + dt.timedelta(days=5)
    session = OutreachSessionFactory(
        date=day, start_time=dt.time(8), end_time=dt.time(8, 15), slot_capacity=1, services=["recording"]
    )
    slot = session.slots.get()
    first = appointment_book(slot=slot, citizen=citizen_aged(30, on=day), service="recording", reason="new")
    waitlist_join(
        session=session,
        citizen=citizen_aged(31, on=day),
        service="recording",
        reason="new",
        phone="081200000077",
    )
    appointment_cancel(appointment=first.appointment)
    waitlist_sweep(session_id=session.pk)
    entry = WaitlistEntry.objects.get(session=session, status=WaitlistEntry.Status.OFFERED)
    return {
        "session": session.pk,
        "offer": offer_path(entry),
        "entry": entry.pk,
        "token": offer_link_value(entry),
        "leave": leave_path(entry),
    }


def _model(label: str):
    from django.apps import apps

    return apps.get_model(label)


def _admin_rows(today: dt.date) -> None:
    """A row for the admin's models that the seed's services leave empty."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from blanks.services import stock_alerts_check
    from core.audit import audit_record
    from core.models import AuditEvent
    from schedules.services.queue import walk_in_register
    from tests.factories import OutreachSessionFactory, StockLocationFactory, citizen_aged, staff_user
    from tests.helpers import KALIWUNGU as A

    now = timezone.now()
    admin_user = get_user_model().objects.get(username="stage-admin")
    # A desk operator of one kecamatan (a staff assignment), who registers a walk-in today.
    operator = staff_user("operator", kecamatan=(A,), username="stage-operator")
    today_session = OutreachSessionFactory(date=today, kecamatan=A, title="Sesi hari ini")
    walk_in_register(
        session=today_session, citizen=citizen_aged(25, on=today), service="recording", reason="new",
        actor=operator,
    )  # fmt: skip
    audit_record(actor=admin_user, kind=AuditEvent.Kind.CHANGE, action="stage seed", target="stage")
    # A local override of the national holiday calendar (the table starts empty).
    _model("schedules.PublicHoliday").objects.get_or_create(
        date=dt.date(today.year, 12, 31), defaults={"name": "Libur daerah (contoh)"}
    )
    # An empty location below its threshold: a stock alert (and its e-mail in the outbox).
    StockLocationFactory(code="LOC-LOW", name="Gudang kosong", low_stock_threshold=100)
    stock_alerts_check(now=now)
    token_model = _model("knox.AuthToken")
    if not token_model.objects.exists():
        token_model.objects.create(user=get_user_model().objects.get(username="stage-supervisor"))
    access_attempt = _model("axes.AccessAttempt")
    if not access_attempt.objects.exists():
        access_attempt.objects.create(
            username="someone", ip_address="127.0.0.1", user_agent="stage", http_accept="*/*",
            path_info="/accounts/login/", get_data="", post_data="", failures_since_start=1,
        )  # fmt: skip
    access_log = _model("axes.AccessLog")
    if not access_log.objects.exists():
        access_log.objects.create(
            username="stage-supervisor", ip_address="127.0.0.1", user_agent="stage", http_accept="*/*",
            path_info="/accounts/login/", attempt_time=now,
        )  # fmt: skip
    failure_log = _model("axes.AccessFailureLog")
    if not failure_log.objects.exists():
        failure_log.objects.create(
            username="someone", ip_address="127.0.0.1", user_agent="stage", http_accept="*/*",
            path_info="/accounts/login/", attempt_time=now, locked_out=False,
        )  # fmt: skip
    crontab = _model("django_celery_beat.CrontabSchedule").objects.get_or_create(minute="5", hour="*")[0]
    _model("django_celery_beat.IntervalSchedule").objects.get_or_create(every=30, period="seconds")
    _model("django_celery_beat.SolarSchedule").objects.get_or_create(
        event="sunrise", latitude=-6.8048, longitude=110.8405
    )
    _model("django_celery_beat.ClockedSchedule").objects.get_or_create(
        clocked_time=now + dt.timedelta(days=1)
    )
    _model("django_celery_beat.PeriodicTask").objects.get_or_create(
        name="stage: stock alerts", defaults={"task": "blanks.tasks.check_stock_alerts", "crontab": crontab}
    )


if __name__ == "__main__":
    main()
