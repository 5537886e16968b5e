"""The queue display on a TV (issue 14): its JSON state, numbers and desks only, published sessions only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from registrations.models import ServiceRequest
from registrations.services.service_requests import service_request_complete
from schedules.services.queue import queue_call_next, walk_in_register
from tests.factories import OutreachSessionFactory, citizen_aged, staff_user

WIB = dt.timezone(dt.timedelta(hours=7))
KALIWUNGU = "33.19.01"
DAY = dt.date(2024, 2, 11)


def at(minute: int) -> dt.datetime:
    return dt.datetime(2024, 2, 11, 7, minute, tzinfo=WIB)


@pytest.fixture
def session(regions):
    return OutreachSessionFactory(
        date=DAY, kind="cfd", kecamatan=KALIWUNGU, start_time=dt.time(6), end_time=dt.time(9), desks=3
    )


@pytest.fixture
def desk(regions):
    return staff_user("field", kecamatan=(KALIWUNGU,))


def state(client, session) -> dict:
    response = client.get(reverse("schedules:queue-state", args=[session.pk]))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    return response.json()


def test_the_state_has_every_desk_the_last_five_calls_and_the_waiting_numbers(client, session, desk):
    citizens = [citizen_aged(20 + i, on=DAY) for i in range(8)]
    for i, citizen in enumerate(citizens):
        walk_in_register(session=session, citizen=citizen, service="recording", actor=desk, now=at(i))
    # Six calls: desks 1, 2, 1, 2, 1, 3 (each call of a desk releases its previous visit to the queue
    # or closes it: complete them first so they do not come back).
    for minute, desk_number in zip(range(10, 16), (1, 2, 1, 2, 1, 3), strict=True):
        for request in ServiceRequest.objects.filter(
            status="in_progress", visits__desk=desk_number, visits__status="called"
        ):
            service_request_complete(
                service_request=request, actor=desk, venue_kecamatan=KALIWUNGU, now=at(minute)
            )
        queue_call_next(session=session, desk=desk_number, actor=desk, now=at(minute))

    board = state(client, session)
    assert board["desks"] == [
        {"desk": 1, "number": "005"},
        {"desk": 2, "number": "004"},
        {"desk": 3, "number": "006"},
    ]
    assert [(c["number"], c["desk"], c["at"]) for c in board["recent"]] == [
        ("006", 3, "07:15"),
        ("005", 1, "07:14"),
        ("004", 2, "07:13"),
        ("003", 1, "07:12"),
        ("002", 2, "07:11"),
    ]
    assert board["waiting"] == ["007", "008"] and board["waiting_count"] == 2
    text = json.dumps(board)
    for citizen in citizens:  # numbers and desks only: nothing of the person
        assert citizen.nik not in text and citizen.full_name not in text


def test_a_number_called_again_is_a_new_call_for_the_chime(client, session, desk, settings):
    settings.SCHEDULES_QUEUE_NO_SHOW_AFTER_CALLS = 3
    citizen = citizen_aged(30, on=DAY)
    walk_in_register(session=session, citizen=citizen, service="recording", actor=desk, now=at(0))
    queue_call_next(session=session, desk=1, actor=desk, now=at(1))
    first = state(client, session)["recent"][0]
    # Nobody else waits: desk 1 moving on puts 001 back in the queue and calls it again.
    queue_call_next(session=session, desk=1, actor=desk, now=at(2))
    second = state(client, session)["recent"][0]
    assert (first["number"], second["number"], second["desk"]) == ("001", "001", 1)
    assert first["call"] != second["call"]


def test_only_published_sessions_have_a_display(client, session):
    session.published = False
    session.save(update_fields=["published"])
    assert client.get(reverse("schedules:queue-state", args=[session.pk])).status_code == 404
    assert client.get(reverse("schedules:queue", args=[session.pk])).status_code == 404
    assert client.get("/sessions/999999/queue/state/").status_code == 404
