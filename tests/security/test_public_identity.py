"""Public flows prove who is asking with the NIK and the family card (KK) number: until both match a
living resident, every probe gets the same answer (issue 13). A NIK and the birth date it encodes
are known to anyone who has read the NIK, so they prove nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditEvent
from registrations.services.identity import identity_failure_key
from schedules.models import Appointment
from tests.factories import CitizenFactory, OutreachSessionFactory, printable_citizen

pytestmark = pytest.mark.django_db

RECORDED = dt.datetime(2020, 1, 6, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()  # throttle and failed-identity counters of earlier tests
    yield
    cache.clear()


@pytest.fixture
def slots(regions):
    session = OutreachSessionFactory(
        date=timezone.localdate() + dt.timedelta(days=4),
        kecamatan="33.19.01",
        services=["recording", "printing"],
        slot_capacity=3,
    )
    return list(session.slots.order_by("starts_at"))


def _probe_world(slots):
    booked = printable_citizen()
    client = APIClient(REMOTE_ADDR="10.9.0.1")
    first = client.post("/api/v1/appointments/", _body(booked, slots[0], service="printing", kk=booked.kk),
                        format="json")  # fmt: skip
    assert first.status_code == 201, first.json()
    return {
        "unknown NIK": (CitizenFactory.build(), "recording"),
        "not yet recorded, asks for printing": (CitizenFactory(), "printing"),
        "already printed": (printable_citizen(printed_at=RECORDED), "printing"),
        "already recorded, asks for recording": (printable_citizen(), "recording"),
        "already booked": (booked, "printing"),
    }


def _body(citizen, slot, *, service="recording", kk=None) -> dict:
    body = {"nik": citizen.nik, "birth_date": citizen.birth_date.isoformat(), "service": service,
            "reason": "new", "slot": slot.pk}  # fmt: skip
    if kk is not None:
        body["kk"] = kk
    return body


def test_every_probe_with_nik_and_birth_date_gets_the_same_answer(slots):
    """The issue's probes, as an attacker who knows the NIK (and so the birth date) but not the KK."""
    answers = {}
    for name, (citizen, service) in _probe_world(slots).items():
        body = _body(citizen, slots[1], service=service, kk="3319010101209999")
        response = APIClient(REMOTE_ADDR="10.9.1.1").post("/api/v1/appointments/", body, format="json")
        answers[name] = (response.status_code, response.json())
        cache.clear()
    print(answers)
    assert len({repr(answer) for answer in answers.values()}) == 1, answers
    status, body = next(iter(answers.values()))
    assert status == 400
    assert body["code"] == "identity_mismatch"


def test_every_probe_without_a_kk_gets_the_same_answer(slots):
    answers = {}
    for name, (citizen, service) in _probe_world(slots).items():
        response = APIClient(REMOTE_ADDR="10.9.1.2").post(
            "/api/v1/appointments/", _body(citizen, slots[1], service=service), format="json"
        )
        answers[name] = (response.status_code, response.json())
    assert len({repr(answer) for answer in answers.values()}) == 1, answers
    assert next(iter(answers.values()))[0] == 400


def test_the_form_gives_every_probe_the_same_page(client, slots):
    pages = {}
    for name, (citizen, service) in _probe_world(slots).items():
        body = _body(citizen, slots[1], service=service, kk="3319010101209999")
        response = client.post("/appointments/new/", body, REMOTE_ADDR="10.9.1.3")
        cache.clear()
        errors = response.context["form"].errors.as_data() if response.context else None
        pages[name] = (response.status_code, repr(errors))
    assert len(set(pages.values())) == 1, pages


def test_eligibility_is_told_once_the_nik_and_kk_match(slots):
    citizen = printable_citizen(printed_at=RECORDED)
    response = APIClient(REMOTE_ADDR="10.9.1.4").post(
        "/api/v1/appointments/", _body(citizen, slots[1], service="printing", kk=citizen.kk), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_eligible"


def test_squatting_a_residents_booking_without_the_kk_fails(slots):
    resident = CitizenFactory()
    squatter = APIClient(REMOTE_ADDR="10.9.2.1")
    attempt = squatter.post("/api/v1/appointments/", _body(resident, slots[0]), format="json")
    assert attempt.status_code == 400
    attempt = squatter.post(
        "/api/v1/appointments/", _body(resident, slots[0], kk="3319010101209999"), format="json"
    )
    assert attempt.json()["code"] == "identity_mismatch"
    assert not Appointment.objects.filter(citizen=resident).exists()

    own = APIClient(REMOTE_ADDR="10.9.2.2").post(
        "/api/v1/appointments/", _body(resident, slots[0], kk=resident.kk), format="json"
    )
    assert own.status_code == 201
    assert Appointment.objects.get(citizen=resident).code == own.json()["code"]


def test_repeated_failed_checks_lock_the_nik_with_the_same_answer(slots, settings):
    settings.PUBLIC_IDENTITY_MAX_FAILURES = 3
    resident = CitizenFactory()
    wrong = [f"33190101012099{n:02d}" for n in range(3)]
    for index, kk in enumerate(wrong):
        response = APIClient(REMOTE_ADDR=f"10.9.3.{index + 1}").post(
            "/api/v1/appointments/", _body(resident, slots[0], kk=kk), format="json"
        )
        assert response.json()["code"] == "identity_mismatch"
    locked = APIClient(REMOTE_ADDR="10.9.3.9").post(
        "/api/v1/appointments/", _body(resident, slots[0], kk=resident.kk), format="json"
    )
    assert locked.status_code == 400
    assert locked.json()["code"] == "identity_mismatch"  # the right KK, but the NIK is locked
    assert not Appointment.objects.filter(citizen=resident).exists()

    event = AuditEvent.objects.get(action="public identity check locked")
    assert resident.nik not in event.target and resident.nik[:12] not in event.target
    assert event.ip_address == "10.9.3.3"

    other = CitizenFactory()  # another NIK is not locked
    response = APIClient(REMOTE_ADDR="10.9.3.9").post(
        "/api/v1/appointments/", _body(other, slots[0], kk=other.kk), format="json"
    )
    assert response.status_code == 201


def test_the_lock_ends_after_the_configured_time(slots, settings):
    settings.PUBLIC_IDENTITY_MAX_FAILURES = 1
    resident = CitizenFactory()
    api = APIClient(REMOTE_ADDR="10.9.4.1")
    api.post("/api/v1/appointments/", _body(resident, slots[0], kk="3319010101209999"), format="json")
    assert api.post("/api/v1/appointments/", _body(resident, slots[0], kk=resident.kk),
                    format="json").status_code == 400  # fmt: skip
    key = identity_failure_key(resident.nik)
    assert resident.nik not in key and cache.get(key) == 1
    cache.delete(key)  # what the cache does when PUBLIC_IDENTITY_LOCK_SECONDS have passed
    assert api.post("/api/v1/appointments/", _body(resident, slots[0], kk=resident.kk),
                    format="json").status_code == 201  # fmt: skip


def test_the_form_and_the_api_share_one_budget_per_address(client, slots, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "booking_anon": "2/min"}
    }  # fmt: skip
    resident = CitizenFactory()
    body = _body(resident, slots[0], kk="3319010101209999")
    assert client.post("/appointments/new/", body, REMOTE_ADDR="10.9.5.1").status_code == 200
    assert client.post("/appointments/new/", body, REMOTE_ADDR="10.9.5.1").status_code == 200
    api = APIClient(REMOTE_ADDR="10.9.5.1")
    assert api.post("/api/v1/appointments/", body, format="json").status_code == 429
