from __future__ import annotations

import datetime as dt

import pytest

from registrations.exceptions import NotEligibleError
from registrations.models import ServiceRequest
from registrations.services.service_requests import service_request_create
from schedules.exceptions import IllegalTransitionError, ServiceNotOfferedError, WrongSessionDayError
from schedules.models import Appointment, QueueTicket
from schedules.services import appointment_book, appointment_cancel
from schedules.services.queue import appointment_check_in, queue_call_next, walk_in_register
from tests.factories import OutreachSessionFactory, citizen_aged, staff_user

WIB = dt.timezone(dt.timedelta(hours=7))
DAY = dt.date(2024, 2, 11)
BOOKING_TIME = dt.datetime(2024, 2, 5, 10, 0, tzinfo=WIB)
ON_THE_DAY = dt.datetime(2024, 2, 11, 6, 20, tzinfo=WIB)
RECORDED = dt.datetime(2019, 1, 7, 9, 0, tzinfo=WIB)


@pytest.fixture
def session(regions):
    return OutreachSessionFactory(
        date=DAY, kind="cfd", kecamatan="33.19.02", start_time=dt.time(6), end_time=dt.time(9)
    )


@pytest.fixture
def desk(regions):
    return staff_user("field", kecamatan=("33.19.02",))


def booked(session, *, service="recording", index=0, **citizen_fields):
    citizen = citizen_aged(20 + index, on=DAY, **citizen_fields)
    slot = session.slots.order_by("starts_at")[index]
    return appointment_book(
        slot=slot, citizen=citizen, service=service, reason="new", now=BOOKING_TIME
    ).appointment


def test_check_in_gives_consecutive_queue_numbers_and_opens_the_service_request(session, desk):
    first = booked(session, index=0)
    second = booked(session, index=1, service="printing", recorded_at=RECORDED)
    ticket_one = appointment_check_in(code=first.code, actor=desk, now=ON_THE_DAY)
    ticket_two = appointment_check_in(code=second.code.lower(), actor=desk, now=ON_THE_DAY)
    assert (ticket_one.number, ticket_two.number) == (1, 2)
    first.refresh_from_db()
    assert first.status == "checked_in" and first.checked_in_at == ON_THE_DAY
    request = first.service_request
    assert request is not None and ticket_one.service_request == request
    assert (request.service, request.reason, request.channel, request.status) == (
        "recording",
        "new",
        "cfd",
        "submitted",
    )
    assert request.appointment == first
    assert request.submitted_by == desk


def test_scanning_the_same_code_twice_gives_the_same_ticket(session, desk):
    appointment = booked(session)
    first = appointment_check_in(code=appointment.code, actor=desk, now=ON_THE_DAY)
    again = appointment_check_in(code=appointment.code, actor=desk, now=ON_THE_DAY)
    assert first.pk == again.pk
    assert QueueTicket.objects.count() == 1
    assert ServiceRequest.objects.count() == 1


def test_an_already_open_request_is_linked_not_duplicated(session, desk):
    appointment = booked(session)
    existing = service_request_create(
        citizen=appointment.citizen, service="recording", reason="new", channel="office", now=BOOKING_TIME
    )
    ticket = appointment_check_in(code=appointment.code, actor=desk, now=ON_THE_DAY)
    assert ticket.service_request == existing
    assert ServiceRequest.objects.count() == 1


def test_check_in_only_on_the_session_day_and_only_for_active_bookings(session, desk):
    appointment = booked(session)
    with pytest.raises(WrongSessionDayError):
        appointment_check_in(code=appointment.code, actor=desk, now=ON_THE_DAY - dt.timedelta(days=1))
    appointment_cancel(appointment=appointment, now=BOOKING_TIME)
    with pytest.raises(IllegalTransitionError):
        appointment_check_in(code=appointment.code, actor=desk, now=ON_THE_DAY)
    with pytest.raises(Appointment.DoesNotExist):
        appointment_check_in(code="ZZZZZZZZ", actor=desk, now=ON_THE_DAY)
    assert not QueueTicket.objects.exists()
    assert not ServiceRequest.objects.exists()


def test_walk_ins_get_a_number_in_the_same_queue(session, desk):
    appointment = booked(session)
    appointment_check_in(code=appointment.code, actor=desk, now=ON_THE_DAY)
    walker = citizen_aged(40, on=DAY, recorded_at=RECORDED)
    ticket = walk_in_register(
        session=session, citizen=walker, service="printing", reason="damaged", actor=desk, now=ON_THE_DAY
    )
    assert ticket.number == 2 and ticket.is_walk_in
    assert ticket.service_request.citizen == walker and ticket.service_request.reason == "damaged"


def test_a_walk_in_must_be_eligible_and_the_session_must_offer_the_service(regions, desk):
    session = OutreachSessionFactory(date=DAY, kecamatan="33.19.02", services=["recording", "printing"])
    with pytest.raises(ServiceNotOfferedError):
        walk_in_register(
            session=session,
            citizen=citizen_aged(30, on=DAY),
            service="ikd_activation",
            reason="new",
            actor=desk,
            now=ON_THE_DAY,
        )
    with pytest.raises(NotEligibleError):
        walk_in_register(
            session=session,
            citizen=citizen_aged(30, on=DAY),
            service="printing",
            reason="new",
            actor=desk,
            now=ON_THE_DAY,
        )
    assert not QueueTicket.objects.exists()


def test_calling_the_next_number_starts_its_service_request(session, desk):
    for index in range(2):
        appointment_check_in(code=booked(session, index=index).code, actor=desk, now=ON_THE_DAY)
    called = queue_call_next(session=session, desk=1, actor=desk, now=ON_THE_DAY)
    assert (called.number, called.desk, called.status, called.call_count) == (1, 1, "called", 1)
    assert called.service_request.status == "in_progress"
    second = queue_call_next(session=session, desk=1, actor=desk, now=ON_THE_DAY)
    assert second.number == 2
    called.refresh_from_db()
    # Its request is still open: not done, back in the queue (behind numbers not called yet).
    assert (called.status, called.desk) == ("waiting", None)
    again = queue_call_next(session=session, desk=1, actor=desk, now=ON_THE_DAY)
    assert (again.number, again.call_count) == (1, 2)
    second.refresh_from_db()
    assert second.status == "waiting"
