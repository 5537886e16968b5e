"""Find my booking: NIK + KK number → the manage link is sent again to the contacts given at booking,
never shown, with one answer whether or not anything matched (issue 13, the seam issue 15 builds on)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import OutboxMessage
from schedules import services
from schedules.messaging import LocmemSMSBackend
from schedules.models import Appointment
from tests.factories import CitizenFactory, OutreachSessionFactory

pytestmark = pytest.mark.django_db

FIND_API = "/api/v1/appointments/find/"
FIND_PAGE = "/appointments/find/"


@pytest.fixture(autouse=True)
def fresh(settings):
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    LocmemSMSBackend.outbox.clear()
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def booked(regions):
    session = OutreachSessionFactory(
        date=timezone.localdate() + dt.timedelta(days=4), kecamatan="33.19.01", services=["recording"]
    )
    citizen = CitizenFactory()
    body = {"nik": citizen.nik, "kk": citizen.kk, "service": "recording", "reason": "new",
            "slot": session.slots.order_by("starts_at").first().pk, "phone": "081234567890",
            "email": "warga@example.id"}  # fmt: skip
    response = APIClient(REMOTE_ADDR="10.8.0.1").post("/api/v1/appointments/", body, format="json")
    assert response.status_code == 201
    OutboxMessage.objects.all().delete()
    cache.clear()
    return citizen, response.json()


def _manage_links() -> list[str]:
    return [m for sms in LocmemSMSBackend.outbox for m in re.findall(r"https?://\S+", sms["text"])]


def test_the_api_answers_the_same_whether_or_not_anything_matched(booked):
    citizen, _booking = booked
    without_booking = CitizenFactory()
    probes = {
        "unknown NIK": {"nik": CitizenFactory.build().nik, "kk": citizen.kk},
        "wrong KK": {"nik": citizen.nik, "kk": "3319010101209999"},
        "no booking": {"nik": without_booking.nik, "kk": without_booking.kk},
        "a booking": {"nik": citizen.nik, "kk": citizen.kk},
    }
    answers = {}
    for name, body in probes.items():
        response = APIClient(REMOTE_ADDR="10.8.1.1").post(FIND_API, body, format="json")
        answers[name] = (response.status_code, response.json())
        cache.clear()
    assert len({repr(answer) for answer in answers.values()}) == 1, answers
    assert answers["a booking"][0] == 202
    assert "token" not in repr(answers["a booking"]) and booked[1]["code"] not in repr(answers)
    # Only the matching booking queued a message, by id.
    queued = OutboxMessage.objects.get()
    assert queued.task == "schedules.tasks.appointment_send_manage_link"
    assert queued.kwargs == {"appointment_id": Appointment.objects.get(code=booked[1]["code"]).pk}


def test_the_link_sent_opens_the_booking_and_the_old_link_still_works(client, booked):
    citizen, booking = booked
    APIClient(REMOTE_ADDR="10.8.2.1").post(FIND_API, {"nik": citizen.nik, "kk": citizen.kk}, format="json")
    appointment_id = OutboxMessage.objects.get().kwargs["appointment_id"]
    assert services.appointment_manage_link_send(appointment_id=appointment_id) is True
    assert [sms["to"] for sms in LocmemSMSBackend.outbox] == ["081234567890"]
    assert mail.outbox[0].to == ["warga@example.id"]
    (link,) = _manage_links()
    assert link in mail.outbox[0].body
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200 and booking["code"] in page.content.decode()
    old = client.get(f"/appointments/{booking['code']}/m/{booking['manage_token']}/")
    assert old.status_code == 200


def test_a_sent_link_expires_and_opens_no_other_booking(client, booked, settings):
    citizen, booking = booked
    APIClient(REMOTE_ADDR="10.8.3.1").post(FIND_API, {"nik": citizen.nik, "kk": citizen.kk}, format="json")
    services.appointment_manage_link_send(appointment_id=OutboxMessage.objects.get().kwargs["appointment_id"])
    (link,) = _manage_links()
    token = link.rstrip("/").rsplit("/", 1)[1]  # …/appointments/<code>/m/<token>/
    other = Appointment.objects.exclude(code=booking["code"]).first()
    if other is not None:
        assert client.get(f"/appointments/{other.code}/m/{token}/").status_code == 404
    settings.SCHEDULES_MANAGE_LINK_MAX_AGE = -1
    assert client.get(f"/appointments/{booking['code']}/m/{token}/").status_code == 404


def test_no_link_for_a_cancelled_booking(booked):
    citizen, booking = booked
    appointment = Appointment.objects.get(code=booking["code"])
    services.appointment_cancel(appointment=appointment)
    assert services.appointments_find(nik=citizen.nik, kk=citizen.kk) == 0
    assert services.appointment_manage_link_send(appointment_id=appointment.pk) is False
    assert LocmemSMSBackend.outbox == []


def test_the_page_shows_the_same_answer_and_never_the_link(client, booked):
    citizen, booking = booked
    assert client.get(FIND_PAGE).status_code == 200
    pages = []
    for body in ({"nik": citizen.nik, "kk": citizen.kk}, {"nik": citizen.nik, "kk": "3319010101209999"}):
        response = client.post(FIND_PAGE, body, REMOTE_ADDR="10.8.4.1")
        content = response.content.decode()
        assert response.status_code == 200 and 'id="find-sent"' in content
        assert booking["code"] not in content and "token=" not in content
        pages.append(content.replace(re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', content)[0], ""))
    assert pages[0] == pages[1]
    assert OutboxMessage.objects.count() == 1


def test_finding_shares_the_booking_budget_and_counts_towards_the_nik_lock(client, booked, settings):
    citizen, _booking = booked
    settings.PUBLIC_IDENTITY_MAX_FAILURES = 2
    for _attempt in range(2):
        client.post(FIND_PAGE, {"nik": citizen.nik, "kk": "3319010101209999"}, REMOTE_ADDR="10.8.5.1")
    response = APIClient(REMOTE_ADDR="10.8.5.2").post(
        FIND_API, {"nik": citizen.nik, "kk": citizen.kk}, format="json"
    )
    assert response.status_code == 202
    assert not OutboxMessage.objects.exists()  # the NIK is locked: nothing sent, same answer

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "booking_anon": "3/min"}
    }  # fmt: skip
    cache.clear()
    for _attempt in range(3):
        client.post(FIND_PAGE, {"nik": "1", "kk": "2"}, REMOTE_ADDR="10.8.5.3")
    limited = APIClient(REMOTE_ADDR="10.8.5.3").post(FIND_API, {"nik": "1", "kk": "2"}, format="json")
    assert limited.status_code == 429
