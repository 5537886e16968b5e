"""NIK, KK, birth date, phone and e-mail: masked wherever a role may not see them, every reveal and
export in the access log, and never in public URLs, task arguments, logs or error reports."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from django.utils.formats import date_format

from core.models import AuditEvent, OutboxMessage
from regions.models import Desa
from registrations.services.service_requests import (
    service_request_complete,
    service_request_create,
    service_request_start,
)
from schedules.models import Appointment
from schedules.services import appointment_reminders_enqueue, session_cancel
from tests.caches import locmem_caches
from tests.factories import CitizenFactory, OutreachSessionFactory, staff_user
from tests.helpers import response_text, staff_routes, url_for

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "081298765432", "warga.rahasia@example.id"
BIRTH = dt.date(1999, 3, 8)


@pytest.fixture(autouse=True)
def _locmem_cache_and_sms(settings):
    settings.CACHES = locmem_caches("personal-data")
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    cache.clear()


@pytest.fixture
def resident(regions):
    return CitizenFactory(
        full_name="Siti Rahasia", birth_date=BIRTH, sex="P", phone=PHONE, email=EMAIL,
        desa=Desa.objects.get(code="33.19.01.2001"),
    )  # fmt: skip


@pytest.fixture
def session(regions):
    return OutreachSessionFactory(date=timezone.localdate() + dt.timedelta(days=3), slot_capacity=5)


def secrets_of(citizen) -> list[str]:
    """Every spelling of the resident's personal data a page could show."""
    values = [citizen.nik, citizen.kk, PHONE, PHONE[1:], EMAIL, BIRTH.isoformat(), BIRTH.strftime("%d/%m/%Y")]
    values += [date_format(BIRTH, "j F Y"), date_format(BIRTH, "j M Y"), date_format(BIRTH, "DATE_FORMAT")]
    return values


def shown(text: str, citizen) -> list[str]:
    return [value for value in secrets_of(citizen) if value in text]


def _book(client, citizen, session, **extra):
    data = {
        "nik": citizen.nik,
        "kk": citizen.kk,
        "service": "recording",
        "reason": "new",
        "slot": session.slots.order_by("starts_at").first().pk,
        "phone": PHONE,
        "email": EMAIL,
        **extra,
    }
    return client.post("/appointments/new/", data)


# --- Masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["operator", "field"])
def test_no_page_or_api_route_shows_a_residents_personal_data_to_a_role_without_the_permission(
    client, resident, session, role
):
    """Every staff page and API route (found in the URL resolver) for a role without
    registrations.view_full_nik: NIK, KK, birth date, phone and e-mail never appear in full."""
    booking = _book(client, resident, session)
    assert booking.status_code == 303
    request = service_request_create(citizen=resident, service="recording", reason="new", channel="kecamatan")
    user = staff_user(role, kecamatan=("33.19.01",))
    assert not user.has_perm("registrations.view_full_nik")
    client.force_login(user)
    objects = {
        type(resident): resident,
        type(session): session,
        Appointment: Appointment.objects.get(citizen=resident),
        type(request): request,
        type(session.slots.first()): session.slots.order_by("starts_at").first(),
    }
    leaks, seen = [], 0
    for route in staff_routes():
        urls = url_for(route, objects)
        if urls is None or "GET" not in route.methods:
            continue
        for url in urls:
            response = client.get(url, {"q": resident.full_name})
            text = response_text(response)
            seen += "Siti Rahasia" in text
            if found := shown(text, resident):
                leaks.append(f"{url}: {found}")
    assert leaks == []
    assert seen >= 3  # the resident is on several of those pages (list, detail, API), masked


def test_roles_with_the_permission_see_the_full_record_and_the_reveal_is_logged(client, resident):
    supervisor = staff_user("supervisor")
    assert supervisor.has_perm("registrations.view_full_nik")
    client.force_login(supervisor)
    detail = client.get(f"/dashboard/citizens/{resident.pk}/", {"why": "verifikasi"}).content.decode()
    assert resident.nik in detail and EMAIL in detail and PHONE in detail
    listing = client.get("/dashboard/citizens/").content.decode()
    assert resident.nik in listing
    api = client.get("/api/v1/citizens/").json()
    assert api["results"][0]["nik"] == resident.nik
    events = AuditEvent.objects.filter(kind="reveal", actor=supervisor).order_by("id")
    assert [(e.action, e.target) for e in events] == [
        ("citizen detail", f"citizen {resident.pk}"),
        ("citizen list (full NIK)", f"citizen {resident.pk}"),
        ("api citizen list (full NIK)", f"citizen {resident.pk}"),
    ]
    assert events[0].reason == "verifikasi"


def test_the_admin_site_is_scoped_and_masked_like_the_dashboard(client, resident, regions):
    theirs = CitizenFactory(
        full_name="Warga Jati", desa=Desa.objects.get(code="33.19.03.2001"), area6="331903"
    )
    operator = staff_user("operator", kecamatan=("33.19.01",))
    client.force_login(operator)
    listing = client.get("/admin/registrations/citizen/").content.decode()
    assert "Siti Rahasia" in listing and "Warga Jati" not in listing
    assert shown(listing, resident) == []
    page = client.get(f"/admin/registrations/citizen/{resident.pk}/change/").content.decode()
    assert resident.masked_nik in page and shown(page, resident) == []
    assert client.get(f"/admin/registrations/citizen/{theirs.pk}/change/").status_code == 302  # not found

    admin = staff_user("admin", is_superuser=True)
    client.force_login(admin)
    page = client.get(f"/admin/registrations/citizen/{resident.pk}/change/").content.decode()
    assert resident.nik in page
    assert AuditEvent.objects.filter(kind="reveal", actor=admin, action="admin citizen detail").count() == 1


def test_admins_filter_the_access_log_by_who_what_kind_and_day(client, resident):
    supervisor = staff_user("supervisor", username="sup-audit")
    client.force_login(supervisor)
    client.get(f"/dashboard/citizens/{resident.pk}/", {"why": "cek"})
    admin = staff_user("admin", username="boss-audit")
    client.force_login(admin)
    today = timezone.localdate().isoformat()
    page = client.get(
        "/dashboard/audit/",
        {"kind": "reveal", "actor": "sup-audit", "what": f"citizen {resident.pk}", "date": today},
    ).content.decode()
    assert f"citizen {resident.pk}" in page and "cek" in page
    empty = client.get("/dashboard/audit/", {"kind": "export", "actor": "sup-audit"}).content.decode()
    assert f"citizen {resident.pk}" not in empty


# --- URLs, task arguments, messages -------------------------------------------------------------


def _links(html: str) -> list[str]:
    return re.findall(r'(?:href|src|action)="([^"]*)"', html)


def test_the_public_booking_flow_keeps_personal_data_out_of_every_url(client, resident, session):
    form = client.get(f"/appointments/new/?session={session.pk}").content.decode()
    assert re.search(r'<form method="post"', form)
    refused = _book(client, resident, session, phone="12").content.decode()  # re-rendered with its message
    assert "errorlist" in refused
    assert [url for url in _links(refused) if shown(url, resident)] == []

    booked = _book(client, resident, session)
    assert booked.status_code == 303 and shown(booked["Location"], resident) == []
    confirmation = client.get(booked["Location"])
    manage_url = re.search(r'data-testid="manage-link">([^<]+)<', confirmation.content.decode()).group(1)
    pages = [confirmation, client.get(manage_url.replace("&amp;", "&"))]
    for page in pages:
        assert [url for url in _links(page.content.decode()) if shown(url, resident)] == []
        assert shown(page.content.decode(), resident) == []  # the NIK is shown masked only
    appointment = Appointment.objects.get(citizen=resident)
    token = manage_url.rstrip("/").rsplit("/", 1)[1]  # …/appointments/<code>/m/<token>/
    ics = client.get(f"/appointments/{appointment.code}/m/{token}/calendar.ics").content.decode()
    assert shown(ics, resident) == []
    cancelled = client.post(f"/appointments/{appointment.code}/cancel/", {"token": token, "confirm": "yes"})
    assert cancelled.status_code == 303 and shown(cancelled["Location"], resident) == []


def test_tasks_get_ids_only_and_messages_carry_no_nik(
    client, resident, session, settings, django_capture_on_commit_callbacks
):
    settings.SCHEDULES_REMINDER_HOUR = 0
    tomorrow = OutreachSessionFactory(date=timezone.localdate() + dt.timedelta(days=1))
    other = CitizenFactory(birth_date=dt.date(1990, 1, 1), desa=Desa.objects.get(code="33.19.01.2001"))
    # The outbox relays (eager here: runs) each task after the commit of the change that asked for it.
    with django_capture_on_commit_callbacks(execute=True):
        assert _book(client, resident, tomorrow).status_code == 303
        request = service_request_create(
            citizen=other, service="recording", reason="new", channel="kecamatan"
        )
        service_request_complete(
            service_request=service_request_start(service_request=request, actor=None), actor=None
        )
        appointment_reminders_enqueue()
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=tomorrow, reason="hujan")

    messages = list(OutboxMessage.objects.all())
    assert {m.task for m in messages} >= {
        "schedules.tasks.appointment_send_confirmation",
        "schedules.tasks.appointment_send_reminder",
        "schedules.tasks.appointment_notify_cancelled",
        "registrations.tasks.recompute_coverage",
    }
    for message in messages:
        assert all(isinstance(value, int) for value in message.kwargs.values()), message.kwargs
        assert shown(repr(message.kwargs), resident) == [] and shown(repr(message.kwargs), other) == []
    sent = [*mail.outbox]
    assert len(sent) == 3  # confirmation, reminder and cancellation notice, to the booking's e-mail
    for message in sent:
        assert message.to == [EMAIL]
        assert resident.nik not in message.body and BIRTH.isoformat() not in message.body


# --- Logs and error reports ----------------------------------------------------------------------


@pytest.fixture
def server_error(settings, monkeypatch, client):
    """The booking service fails with a message quoting the row (as a database error does)."""
    settings.ADMINS = [("Ops", "ops@example.id")]
    settings.DEBUG = False
    client.raise_request_exception = False

    def crash(**kwargs):
        citizen = kwargs["citizen"]
        raise RuntimeError(f"Key (nik)=({citizen.nik}) phone {kwargs['phone']} already exists")

    monkeypatch.setattr("schedules.services.appointment_book", crash)
    return client


def _report(resident) -> str:
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ops@example.id"]
    report = mail.outbox[0].subject + mail.outbox[0].body
    assert "RuntimeError" in report
    return report


def test_the_error_report_of_a_failed_booking_form_carries_no_personal_data(server_error, resident, session):
    response = _book(server_error, resident, session)
    assert response.status_code == 500
    report = _report(resident)
    assert shown(report, resident) == []
    assert "nik = '********************'" in report and "phone = '********************'" in report


def test_the_error_report_of_a_failed_api_booking_carries_no_personal_data(server_error, resident, session):
    body = {"nik": resident.nik, "kk": resident.kk, "service": "recording", "reason": "new",
            "slot": session.slots.first().pk, "phone": PHONE, "email": EMAIL}  # fmt: skip
    response = server_error.post("/api/v1/appointments/", body, content_type="application/json")
    assert response.status_code == 500 and response.json()["code"] == "server_error"
    assert shown(_report(resident), resident) == []


def test_an_exception_quoting_a_nik_reaches_the_logs_masked(resident, caplog):
    from core.logmask import MaskPersonalDataFilter

    logger = logging.getLogger("kudus_capil.tests")
    record_filter = MaskPersonalDataFilter()
    logger.addFilter(record_filter)
    try:
        try:
            raise ValueError(f"duplicate key (nik)=({resident.nik}), phone {PHONE}")
        except ValueError:
            logger.exception("import failed")
    finally:
        logger.removeFilter(record_filter)
    formatted = logging.Formatter().format(caplog.records[-1])
    assert "ValueError" in formatted and resident.nik not in formatted and PHONE not in formatted
    assert f"{resident.nik[:4]}********{resident.nik[-4:]}" in formatted


def test_grant_of_the_permission_is_what_unmasks(client, resident):
    operator = staff_user("operator", kecamatan=("33.19.01",))
    client.force_login(operator)
    assert resident.nik not in client.get(f"/dashboard/citizens/{resident.pk}/").content.decode()
    operator.user_permissions.add(Permission.objects.get(codename="view_full_nik"))
    operator = type(operator).objects.get(pk=operator.pk)  # fresh permission cache
    client.force_login(operator)
    assert resident.nik in client.get(f"/dashboard/citizens/{resident.pk}/").content.decode()


def test_gunicorn_access_logs_carry_no_query_strings_or_referrers():
    from pathlib import Path

    config: dict = {}
    exec((Path(__file__).resolve().parents[1] / "gunicorn.conf.py").read_text(), config)  # noqa: S102
    log_format = config["access_log_format"]
    assert "%(U)s" in log_format  # the path only
    assert not any(field in log_format for field in ("%(r)s", "%(q)s", "%(f)s", "%({"))


def test_work_lists_showing_full_niks_are_reveals_too(client, resident, session):
    assert _book(client, resident, session).status_code == 303
    service_request_create(citizen=resident, service="recording", reason="new", channel="office")
    supervisor = staff_user("supervisor")
    client.force_login(supervisor)
    assert resident.nik in client.get("/dashboard/requests/", {"status": ""}).content.decode()
    assert resident.nik in client.get(f"/dashboard/sessions/{session.pk}/").content.decode()
    events = AuditEvent.objects.filter(kind="reveal", actor=supervisor).order_by("id")
    assert [(e.action, e.target) for e in events] == [
        ("service request list (full NIK)", f"citizen {resident.pk}"),
        ("session bookings (full NIK)", f"citizen {resident.pk}"),
    ]
