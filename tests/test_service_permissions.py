"""Every write service checks who acts, whatever the front (API, dashboard, admin) calls it.

Each test calls the service directly with an actor of another kecamatan, a viewer or a staff
account without a role, gets the core error (NotPermittedError 403 / NotFoundError 404, the API's
codes), and finds nothing written; a control call by an allowed actor (or the system, actor=None)
shows the same call does write.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms

from blanks.exceptions import InvalidMovementError, StockPermissionError
from blanks.models import StockMovement
from blanks.services import blank_adjust, blank_receive, blank_spoil, blank_transfer
from core.exceptions import ApplicationError, NotFoundError, NotPermittedError
from core.forms import form_add_application_error
from core.models import OutboxMessage
from regions.models import Desa, Kecamatan
from registrations.coverage import coverage_refresh_request
from registrations.models import ServiceRequest, ServiceRequestEvent
from registrations.services.service_requests import (
    service_request_cancel,
    service_request_complete,
    service_request_create,
    service_request_reject,
    service_request_start,
)
from schedules.exceptions import BookingClosedError, ChangeClosedError
from schedules.models import Appointment, OutreachSeries, OutreachSession, QueueTicket, ScheduleEvent, Slot
from schedules.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    queue_call_next,
    series_create,
    session_cancel,
    session_create,
    session_update,
    slot_remove,
    walk_in_register,
)
from tests.factories import (
    CitizenFactory,
    OutreachSessionFactory,
    citizen_aged,
    printable_citizen,
    staff_user,
    stocked_location,
)

pytestmark = pytest.mark.django_db

A, B = "33.19.01", "33.19.02"
WIB = dt.timezone(dt.timedelta(hours=7))
DAY = dt.date(2024, 2, 11)
BOOKING_TIME = dt.datetime(2024, 2, 5, 10, 0, tzinfo=WIB)
ON_THE_DAY = dt.datetime(2024, 2, 11, 6, 20, tzinfo=WIB)
NOW = dt.datetime(2024, 2, 5, 10, 0, tzinfo=WIB)


@pytest.fixture
def people(regions):
    """Operators and field staff of A and of B, a viewer, a supervisor and a staff account without a role."""
    return {
        "operator_a": staff_user("operator", kecamatan=(A,)),
        "operator_b": staff_user("operator", kecamatan=(B,)),
        "field_a": staff_user("field", kecamatan=(A,)),
        "field_b": staff_user("field", kecamatan=(B,)),
        "viewer": staff_user("viewer"),
        "supervisor": staff_user("supervisor"),
        "no_role": staff_user(),
    }


def session_fields(**changes) -> dict:
    fields = {
        "kind": "kecamatan",
        "title": "Pelayanan",
        "venue_name": "Kantor Kecamatan",
        "kecamatan": A,
        "start_time": dt.time(8),
        "end_time": dt.time(10),
        "services": ["recording"],
    }
    return {**fields, **changes}


# --- Sessions and series ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["operator_b", "field_a", "viewer", "no_role"])
def test_creating_a_session_is_refused_outside_the_scope_or_without_a_planning_role(people, who):
    with pytest.raises(NotPermittedError) as caught:
        session_create(**session_fields(date=DAY), actor=people[who])
    assert (caught.value.status_code, caught.value.code) == (403, "permission_denied")
    assert not OutreachSession.objects.exists() and not Slot.objects.exists()
    # Control: the operator of A and the system may.
    assert session_create(**session_fields(date=DAY), actor=people["operator_a"]).kecamatan_id == A
    assert session_create(**session_fields(date=DAY), actor=None).kecamatan_id == A


def test_a_scoped_operator_is_refused_before_the_fields_are_checked(people):
    with pytest.raises(NotPermittedError):
        session_create(**session_fields(date=DAY, title=""), actor=people["operator_b"])


@pytest.mark.parametrize("who", ["operator_b", "viewer", "field_a"])
def test_creating_a_series_is_refused_outside_the_scope_or_without_a_planning_role(people, who):
    fields = session_fields(start_date=DAY, end_date=DAY + dt.timedelta(days=14), weekdays=[6])
    with pytest.raises(NotPermittedError):
        series_create(**fields, actor=people[who])
    assert not OutreachSeries.objects.exists() and not OutreachSession.objects.exists()
    assert series_create(**fields, actor=people["operator_a"]).sessions.count() == 3


def test_changing_cancelling_or_removing_a_slot_of_another_kecamatan_is_not_found(people):
    session = OutreachSessionFactory(kecamatan=A, date=DAY)
    slot = session.slots.order_by("starts_at").first()
    outsider = people["operator_b"]
    with pytest.raises(NotFoundError) as caught:
        session_update(session=session, title="Diganti", actor=outsider)
    assert (caught.value.status_code, caught.value.code) == (404, "not_found")
    with pytest.raises(NotFoundError):
        session_cancel(session=session, reason="hujan", actor=outsider)
    with pytest.raises(NotFoundError):
        slot_remove(slot=slot, reason="hujan", actor=outsider)
    session.refresh_from_db()
    slot.refresh_from_db()
    assert session.title != "Diganti" and session.status == "scheduled" and slot.removed_at is None
    assert ScheduleEvent.objects.exclude(action="session_created").count() == 0
    assert session_cancel(session=session, reason="hujan", actor=people["operator_a"]).session.is_cancelled


@pytest.mark.parametrize("who", ["field_a", "viewer", "no_role"])
def test_changing_a_session_needs_a_planning_role(people, who):
    session = OutreachSessionFactory(kecamatan=A, date=DAY)
    slot = session.slots.order_by("starts_at").first()
    for call in (
        lambda: session_update(session=session, title="Diganti", actor=people[who]),
        lambda: session_cancel(session=session, reason="hujan", actor=people[who]),
        lambda: slot_remove(slot=slot, reason="hujan", actor=people[who]),
    ):
        with pytest.raises(NotPermittedError):
            call()
    session.refresh_from_db()
    assert session.status == "scheduled" and not Slot.objects.filter(removed_at__isnull=False).exists()


# --- Bookings, check-in and the queue --------------------------------------------------------------


@pytest.fixture
def today_session(regions):
    return OutreachSessionFactory(
        date=DAY, kind="cfd", kecamatan=A, start_time=dt.time(6), end_time=dt.time(9)
    )


def booked(session, index=0) -> Appointment:
    citizen = citizen_aged(20 + index, on=DAY)
    slot = session.slots.order_by("starts_at")[index]
    return appointment_book(
        slot=slot, citizen=citizen, service="recording", reason="new", now=BOOKING_TIME
    ).appointment


@pytest.mark.parametrize("who", ["field_b", "viewer", "no_role"])
def test_only_desk_staff_of_the_kecamatan_book_past_the_public_cut_off(people, today_session, who):
    slot = today_session.slots.order_by("starts_at")[1]  # 06:15–06:30, at 06:20: closed to the public
    citizen = citizen_aged(30, on=DAY)
    with pytest.raises(BookingClosedError):
        appointment_book(
            slot=slot, citizen=citizen, service="recording", reason="new", actor=people[who], now=ON_THE_DAY
        )
    assert not Appointment.objects.exists()
    assert Slot.objects.get(pk=slot.pk).booked == 0
    result = appointment_book(
        slot=slot, citizen=citizen, service="recording", reason="new", actor=people["field_a"], now=ON_THE_DAY
    )
    assert result.appointment.booked_by == people["field_a"]


def test_staff_of_another_kecamatan_cancel_as_the_public_and_leave_no_staff_name(
    people, today_session, settings
):
    settings.SCHEDULES_CHANGE_CUTOFF_MINUTES = 120
    appointment = booked(today_session)
    with pytest.raises(ChangeClosedError):
        appointment_cancel(appointment=appointment, actor=people["operator_b"], now=ON_THE_DAY)
    assert Appointment.objects.get(pk=appointment.pk).status == "active"
    cancelled = appointment_cancel(appointment=appointment, actor=people["operator_a"], now=ON_THE_DAY)
    assert cancelled.cancel_reason == "staff"
    assert (
        ScheduleEvent.objects.get(appointment=appointment, action="cancelled").actor == people["operator_a"]
    )


def test_checking_in_a_booking_of_another_kecamatan_is_an_unknown_code(people, today_session):
    appointment = booked(today_session)
    with pytest.raises(Appointment.DoesNotExist):
        appointment_check_in(code=appointment.code, actor=people["field_b"], now=ON_THE_DAY)
    with pytest.raises(NotPermittedError):
        appointment_check_in(code=appointment.code, actor=people["viewer"], now=ON_THE_DAY)
    assert Appointment.objects.get(pk=appointment.pk).status == "active"
    assert not QueueTicket.objects.exists() and not ServiceRequest.objects.exists()
    ticket = appointment_check_in(code=appointment.code, actor=people["field_a"], now=ON_THE_DAY)
    assert ticket.number == 1


def test_walk_ins_and_calls_at_a_session_of_another_kecamatan_are_not_found(people, today_session):
    citizen = citizen_aged(40, on=DAY)
    appointment = booked(today_session)
    appointment_check_in(code=appointment.code, actor=people["field_a"], now=ON_THE_DAY)
    for who, error in (
        ("field_b", NotFoundError),
        ("viewer", NotPermittedError),
        ("no_role", NotPermittedError),
    ):
        with pytest.raises(error):
            walk_in_register(
                session=today_session,
                citizen=citizen,
                service="recording",
                reason="new",
                actor=people[who],
                now=ON_THE_DAY,
            )
        with pytest.raises(error):
            queue_call_next(session=today_session, desk=1, actor=people[who], now=ON_THE_DAY)
    assert QueueTicket.objects.count() == 1
    assert QueueTicket.objects.get().status == "waiting"
    assert ServiceRequest.objects.get().status == "submitted"
    called = queue_call_next(session=today_session, desk=1, actor=people["field_a"], now=ON_THE_DAY)
    assert called.status == "called" and called.service_request.status == "in_progress"


def test_desk_staff_serve_a_citizen_of_another_kecamatan_who_comes_to_their_session(people, regions):
    session = OutreachSessionFactory(
        date=DAY, kind="cfd", kecamatan=B, start_time=dt.time(6), end_time=dt.time(9)
    )
    citizen = citizen_aged(40, on=DAY)  # lives in A
    ticket = walk_in_register(
        session=session,
        citizen=citizen,
        service="recording",
        reason="new",
        actor=people["field_b"],
        now=ON_THE_DAY,
    )
    assert ticket.service_request.citizen == citizen
    # …but away from a session of theirs, the citizen of A is not theirs to serve.
    with pytest.raises(NotFoundError):
        service_request_cancel(service_request=ticket.service_request, actor=people["field_b"], reason="x")
    assert ServiceRequest.objects.get().status == "submitted"


# --- Service requests ------------------------------------------------------------------------------


def test_service_requests_of_a_citizen_of_another_kecamatan_are_not_found(people):
    citizen = CitizenFactory(birth_date=dt.date(2000, 1, 1))  # lives in A
    outsider = people["operator_b"]
    with pytest.raises(NotFoundError):
        service_request_create(
            citizen=citizen, service="recording", reason="new", channel="office", actor=outsider
        )
    assert not ServiceRequest.objects.exists()
    request = service_request_create(
        citizen=citizen,
        service="recording",
        reason="new",
        channel="office",
        actor=people["operator_a"],
        now=NOW,
    )
    for call in (
        lambda: service_request_start(service_request=request, actor=outsider, now=NOW),
        lambda: service_request_cancel(service_request=request, actor=outsider, reason="x", now=NOW),
        lambda: service_request_reject(service_request=request, actor=outsider, reason="x", now=NOW),
    ):
        with pytest.raises(NotFoundError):
            call()
    service_request_start(service_request=request, actor=people["operator_a"], now=NOW)
    with pytest.raises(NotFoundError):
        service_request_complete(service_request=request, actor=outsider, now=NOW)
    request.refresh_from_db()
    citizen.refresh_from_db()
    assert request.status == "in_progress" and citizen.recorded_at is None
    assert ServiceRequestEvent.objects.filter(service_request=request).count() == 2  # submitted, started


@pytest.mark.parametrize("who", ["viewer", "no_role"])
def test_service_requests_need_a_desk_role(people, who):
    citizen = printable_citizen()
    with pytest.raises(NotPermittedError):
        service_request_create(
            citizen=citizen, service="printing", reason="new", channel="office", actor=people[who]
        )
    request = service_request_create(
        citizen=citizen, service="printing", reason="new", channel="office", now=NOW
    )
    with pytest.raises(NotPermittedError):
        service_request_start(service_request=request, actor=people[who], now=NOW)
    with pytest.raises(NotPermittedError):
        service_request_reject(service_request=request, actor=people[who], reason="x", now=NOW)
    request.refresh_from_db()
    assert request.status == "submitted"
    assert ServiceRequestEvent.objects.filter(service_request=request).count() == 1


# --- Blank stock -----------------------------------------------------------------------------------


def test_stock_movements_at_a_location_of_another_kecamatan_are_not_found(people):
    mine = stocked_location(10, kecamatan=Kecamatan.objects.get(code=A))
    theirs = stocked_location(10, kecamatan=Kecamatan.objects.get(code=B))
    actor = people["operator_a"]
    calls = {
        "receive": lambda: blank_receive(location=theirs, quantity=5, reference="SJ-1", actor=actor),
        "spoil": lambda: blank_spoil(location=theirs, quantity=1, reason="rusak", actor=actor),
        "transfer out": lambda: blank_transfer(
            from_location=theirs, to_location=mine, quantity=1, reference="T-1", actor=actor
        ),
        "transfer in": lambda: blank_transfer(
            from_location=mine, to_location=theirs, quantity=1, reference="T-2", actor=actor
        ),
    }
    before = StockMovement.objects.count()
    for name, call in calls.items():
        with pytest.raises(NotFoundError) as caught:
            call()
        field = "to_location" if name == "transfer in" else "location"
        assert list(caught.value.fields) == [field], name
    assert StockMovement.objects.count() == before
    # A mobile unit (no kecamatan) is everyone's.
    mobile = stocked_location(0)
    assert (
        blank_transfer(from_location=mine, to_location=mobile, quantity=2, reference="T-3", actor=actor).delta
        == -2
    )


@pytest.mark.parametrize("who", ["viewer", "no_role"])
def test_stock_movements_need_a_desk_role(people, who):
    location = stocked_location(10)
    before = StockMovement.objects.count()
    with pytest.raises(NotPermittedError):
        blank_receive(location=location, quantity=5, reference="SJ-1", actor=people[who])
    with pytest.raises(NotPermittedError):
        blank_spoil(location=location, quantity=1, reason="rusak", actor=people[who])
    with pytest.raises(StockPermissionError) as caught:
        blank_adjust(location=location, quantity=-1, reason="opname", actor=people[who])
    assert caught.value.status_code == 403 and caught.value.code == "permission_denied"
    assert StockMovement.objects.count() == before


# --- Coverage recompute ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "no_role"])
def test_a_coverage_recompute_needs_a_working_role(people, who):
    with pytest.raises(NotPermittedError):
        coverage_refresh_request(actor=people[who])
    assert not OutboxMessage.objects.exists()
    assert coverage_refresh_request(actor=people["field_a"]).pk is not None


# --- The one form helper -----------------------------------------------------------------------------


class _Form(forms.Form):
    venue_name = forms.CharField(required=False)
    slot = forms.CharField(required=False)


def test_form_helper_puts_field_errors_on_fields_and_the_rest_above_the_form():
    form = _Form(data={})
    assert form.is_valid()
    error = InvalidMovementError(fields={"venue": ["Tempat wajib."], "kecamatan": ["Tidak dikenal."]})
    form_add_application_error(form, error, field_map={"venue": "venue_name"})
    assert form.errors == {"venue_name": ["Tempat wajib."], "__all__": ["Tidak dikenal."]}

    form = _Form(data={})
    assert form.is_valid()
    form_add_application_error(form, ApplicationError("Slot penuh."), field="slot")
    assert form.errors == {"slot": ["Slot penuh."]}

    form = _Form(data={})
    assert form.is_valid()
    form_add_application_error(form, ApplicationError("Tidak boleh."))
    assert form.non_field_errors() == ["Tidak boleh."]


def test_a_citizen_of_another_kecamatan_exists_in_the_fixture(regions):
    # Guards the tests above: B has desa, and the default citizen lives in A.
    assert Desa.objects.filter(kecamatan_id=B).exists()
    assert CitizenFactory().desa.kecamatan_id == A
