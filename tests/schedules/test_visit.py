"""One truth for a visit (issue 14): the queue ticket owns its service requests and closes with the
last of them; "call next" never calls a closed or absent visit; two desks never call the same one."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import transaction
from django.urls import reverse

from registrations.models import ServiceRequest
from registrations.services.service_requests import (
    service_request_cancel,
    service_request_complete,
    service_request_reject,
    service_request_start,
)
from schedules.exceptions import IllegalTransitionError
from schedules.models import OutreachSession, QueueTicket, ScheduleEvent
from schedules.services import queue as queue_services
from schedules.services.queue import appointment_check_in, queue_call_next, walk_in_register
from tests.factories import OutreachSessionFactory, citizen_aged, staff_user, stocked_location
from tests.helpers import needs_postgres, run_concurrently

WIB = dt.timezone(dt.timedelta(hours=7))
KALIWUNGU = "33.19.01"


def _session(day: dt.date) -> OutreachSession:
    return OutreachSessionFactory(
        date=day,
        kind="cfd",
        kecamatan=KALIWUNGU,
        start_time=dt.time(6),
        end_time=dt.time(9),
        desks=4,
    )


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(6, 30), tzinfo=WIB)


DAY = dt.date(2024, 2, 11)
ON_THE_DAY = _at(DAY)


@pytest.fixture
def session(regions):
    return _session(DAY)


@pytest.fixture
def desk(regions):
    return staff_user("field", kecamatan=(KALIWUNGU,))


def walk_in(session, desk, index: int, *, now=ON_THE_DAY) -> QueueTicket:
    return walk_in_register(
        session=session,
        citizen=citizen_aged(20 + index, on=session.date),
        service="recording",
        reason="new",
        actor=desk,
        now=now,
    )


def _complete(ticket: QueueTicket, desk, now=ON_THE_DAY) -> None:
    request = ServiceRequest.objects.get(pk=ticket.service_request_id)
    if request.status == "submitted":
        request = service_request_start(
            service_request=request, actor=desk, venue_kecamatan=KALIWUNGU, now=now
        )
    service_request_complete(service_request=request, actor=desk, venue_kecamatan=KALIWUNGU, now=now)


def test_a_booked_citizen_served_straight_from_the_desk_is_never_called_afterwards(session, desk):
    """The issue's ticket 004: served without being called, it stayed "waiting" and was called."""
    from schedules.services import appointment_book

    citizen = citizen_aged(20, on=DAY)
    booking = appointment_book(
        slot=session.slots.order_by("starts_at")[0],
        citizen=citizen,
        service="recording",
        reason="new",
        now=ON_THE_DAY - dt.timedelta(days=3),
    ).appointment
    ticket = appointment_check_in(code=booking.code, actor=desk, now=ON_THE_DAY)
    assert list(ticket.service_requests.all()) == [ticket.service_request]
    # The booked recording first; then what a first recording makes possible (one visit).
    assert ticket.planned_services == ["printing", "ikd_activation"]
    stock = stocked_location(2, code="T-01", kind="mobile_unit")
    for _service in ("recording", "printing", "ikd_activation"):
        queue_services.visit_complete_current(ticket=ticket, actor=desk, now=ON_THE_DAY, location=stock)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_at) == ("done", ON_THE_DAY)
    assert queue_call_next(session=session, desk=1, actor=desk, now=ON_THE_DAY) is None
    assert ScheduleEvent.objects.filter(action="visit_closed", note="#1").count() == 1


@pytest.mark.parametrize("close", [service_request_cancel, service_request_reject])
def test_cancelling_or_rejecting_the_last_open_request_closes_the_visit(session, desk, close):
    ticket = walk_in(session, desk, 0)
    close(service_request=ticket.service_request, actor=desk, reason="test", venue_kecamatan=KALIWUNGU)
    ticket.refresh_from_db()
    assert ticket.status == "done"


def test_a_visit_closes_only_with_its_last_open_request(session, desk):
    ticket = walk_in(session, desk, 0)
    # A second service of the same visit (as a multi-service walk-in opens it).
    second = ServiceRequest.objects.create(
        citizen=ticket.citizen, service="ikd_activation", reason="new", channel="cfd", submitted_at=ON_THE_DAY
    )
    ticket.service_requests.add(second)
    called = queue_call_next(session=session, desk=2, actor=desk, now=ON_THE_DAY)
    assert called.pk == ticket.pk
    _complete(ticket, desk)
    ticket.refresh_from_db()
    assert ticket.status == "called"  # the IKD activation is still open
    service_request_cancel(service_request=second, actor=desk, reason="no phone", venue_kecamatan=KALIWUNGU)
    ticket.refresh_from_db()
    assert ticket.status == "done"


def test_the_visit_closes_in_the_same_transaction_as_the_request(session, desk):
    ticket = walk_in(session, desk, 0)
    with pytest.raises(RuntimeError), transaction.atomic():
        service_request_cancel(
            service_request=ticket.service_request, actor=desk, reason="x", venue_kecamatan=KALIWUNGU
        )
        assert QueueTicket.objects.get(pk=ticket.pk).status == "done"
        raise RuntimeError("roll back the close")
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    assert ticket.service_request.status == "submitted"


def test_a_waiting_visit_with_nothing_open_is_closed_not_called(session, desk):
    """Data from before the fix (a request closed without its visit) is never called."""
    stale, fresh = walk_in(session, desk, 0), walk_in(session, desk, 1)
    ServiceRequest.objects.filter(pk=stale.service_request_id).update(
        status="completed", completed_at=ON_THE_DAY
    )
    called = queue_call_next(session=session, desk=1, actor=desk, now=ON_THE_DAY)
    assert called.pk == fresh.pk
    stale.refresh_from_db()
    assert stale.status == "done"


def test_an_unanswered_call_goes_back_in_the_queue_then_becomes_a_no_show(session, desk, settings):
    settings.SCHEDULES_QUEUE_NO_SHOW_AFTER_CALLS = 2
    absent, present = walk_in(session, desk, 0), walk_in(session, desk, 1)
    calls = [queue_call_next(session=session, desk=1, actor=desk, now=ON_THE_DAY) for _ in range(3)]
    # 1 (absent), 2 (present: fewer calls than 1), 1 again (second call)
    assert [t.number for t in calls] == [1, 2, 1]
    _complete(present, desk)  # served while number 1 is at desk 1 again
    assert queue_call_next(session=session, desk=1, actor=desk, now=ON_THE_DAY) is None
    absent.refresh_from_db()
    assert (absent.status, absent.call_count) == ("no_show", 2)
    request = ServiceRequest.objects.get(pk=absent.service_request_id)
    assert request.status == "cancelled" and "2" in request.status_reason
    present.refresh_from_db()
    assert present.status == "done"
    assert ScheduleEvent.objects.filter(action="queue_no_show", note="#1").count() == 1


def test_the_desk_page_and_the_public_screen_show_the_same_state(regions, field_staff, as_user):
    from django.utils import timezone

    today = timezone.localdate()
    now = timezone.now()
    session = _session(today)
    first, second = walk_in(session, field_staff, 0, now=now), walk_in(session, field_staff, 1, now=now)
    queue_call_next(session=session, desk=1, actor=field_staff, now=now)
    queue_call_next(session=session, desk=2, actor=field_staff, now=now)
    _complete(first, field_staff, now=now)

    client = as_user(field_staff)
    public = client.get(reverse("schedules:queue", args=[session.pk]))
    desk_page = client.get(reverse("dashboard:check-in", args=[session.pk]))
    assert [t.number for t in public.context["serving"]] == [second.number]
    statuses = {t.number: t.status for t in desk_page.context["tickets"]}
    assert statuses == {first.number: "done", second.number: "called"}


# --- Several services in one visit ---------------------------------------------------------------


RECORDED = dt.datetime(2019, 1, 7, 9, 0, tzinfo=WIB)


def _book(session, citizen, service: str, reason: str):
    from schedules.services import appointment_book

    return appointment_book(
        slot=session.slots.order_by("starts_at")[0],
        citizen=citizen,
        service=service,
        reason=reason,
        now=ON_THE_DAY - dt.timedelta(days=3),
    ).appointment


def test_checking_in_a_booking_gives_one_number_for_every_service_needed_today(session, desk):
    citizen = citizen_aged(30, on=DAY, recorded_at=RECORDED)  # recorded, never printed, no IKD
    booking = _book(session, citizen, "printing", "new")
    ticket = appointment_check_in(code=booking.code, actor=desk, now=ON_THE_DAY)
    # The booked printing first, then the IKD activation it makes possible; the recording is done.
    assert (ticket.service, ticket.planned_services) == ("printing", ["ikd_activation"])
    assert booking.__class__.objects.get(pk=booking.pk).service_request_id == ticket.service_request_id
    stock = stocked_location(2, code="T-01", kind="mobile_unit")
    done = [
        queue_services.visit_complete_current(ticket=ticket, actor=desk, now=ON_THE_DAY, location=stock)
        for _ in range(2)
    ]
    assert [(r.service, r.reason, r.status) for r in done] == [
        ("printing", "new", "completed"),
        ("ikd_activation", "new", "completed"),
    ]
    ticket.refresh_from_db()
    assert ticket.status == "done" and QueueTicket.objects.count() == 1


def test_a_booking_for_another_reason_adds_the_other_services_as_new_and_skips_what_is_done(session, desk):
    printed = citizen_aged(30, on=DAY, recorded_at=RECORDED, printed_at=RECORDED)
    lost = appointment_check_in(
        code=_book(session, printed, "printing", "lost").code, actor=desk, now=ON_THE_DAY
    )
    assert (lost.service_request.reason, lost.planned_services) == ("lost", [["ikd_activation", "new"]])
    stock = stocked_location(2, code="T-01", kind="mobile_unit")
    queue_services.visit_complete_current(ticket=lost, actor=desk, now=ON_THE_DAY, location=stock)
    ikd = lost.service_requests.get(service="ikd_activation")
    assert (ikd.reason, ikd.status) == ("new", "submitted")  # opened as new, not as "lost"

    everything_done = citizen_aged(
        40, on=DAY, recorded_at=RECORDED, printed_at=RECORDED, ikd_activated_at=RECORDED
    )
    damaged = appointment_check_in(
        code=_book(session, everything_done, "printing", "damaged").code, actor=desk, now=ON_THE_DAY
    )
    assert damaged.planned_services == []


def test_a_first_time_voter_gets_one_number_for_recording_printing_and_ikd(regions, desk):
    from blanks.models import StockBalance
    from regions.models import Kecamatan
    from schedules.services.queue import visit_complete_current
    from tests.factories import stocked_location

    booth_stock = stocked_location(5, code="MOBIL-T", kecamatan=Kecamatan.objects.get(pk=KALIWUNGU))
    session = OutreachSessionFactory(
        date=DAY, kind="cfd", kecamatan=KALIWUNGU, start_time=dt.time(6), end_time=dt.time(9),
        stock_location=booth_stock,
    )  # fmt: skip
    voter = citizen_aged(17, on=DAY, days_after_birthday=3)
    ticket = walk_in_register(session=session, citizen=voter, actor=desk, now=ON_THE_DAY)
    assert (ticket.service, ticket.planned_services) == ("recording", ["printing", "ikd_activation"])
    assert queue_call_next(session=session, desk=1, actor=desk, now=ON_THE_DAY).pk == ticket.pk

    done = [visit_complete_current(ticket=ticket, actor=desk, now=ON_THE_DAY) for _ in range(3)]

    assert [(r.service, r.status) for r in done] == [
        ("recording", "completed"),
        ("printing", "completed"),
        ("ikd_activation", "completed"),
    ]
    assert done[1].location == booth_stock  # no location asked: the session's own
    assert StockBalance.objects.get(location=booth_stock).balance == 4
    ticket.refresh_from_db()
    assert (ticket.status, ticket.planned_services) == ("done", [])
    assert set(ticket.service_requests.all()) == set(done)
    assert QueueTicket.objects.count() == 1
    voter.refresh_from_db()
    assert voter.recorded_at and voter.printed_at and voter.ikd_activated_at


def test_the_plan_skips_what_is_done_and_what_the_session_does_not_offer(regions, desk):
    from schedules.services.queue import visit_services_plan

    recorded = citizen_aged(30, on=DAY, recorded_at=ON_THE_DAY - dt.timedelta(days=900))
    full = _session(DAY)
    printing_only = OutreachSessionFactory(
        date=DAY, kecamatan=KALIWUNGU, services=("printing",), start_time=dt.time(6), end_time=dt.time(9)
    )
    assert visit_services_plan(session=full, citizen=recorded, reason="new", on=DAY) == [
        "printing",
        "ikd_activation",
    ]
    assert visit_services_plan(session=printing_only, citizen=recorded, reason="new", on=DAY) == ["printing"]
    too_young = citizen_aged(15, on=DAY)
    assert visit_services_plan(session=full, citizen=too_young, reason="new", on=DAY) == []


# --- A booking of another day or site ------------------------------------------------------------


def test_a_booking_of_another_session_is_served_here_and_its_place_there_freed(session, desk):
    from schedules.models import Appointment, Slot
    from schedules.services import appointment_book
    from schedules.services.queue import appointment_serve_here

    later = _session(DAY + dt.timedelta(days=7))
    slot = later.slots.order_by("starts_at")[0]
    booking = appointment_book(
        slot=slot, citizen=citizen_aged(20, on=DAY), service="recording", reason="new", now=ON_THE_DAY
    ).appointment
    assert Slot.objects.get(pk=slot.pk).booked == 1

    ticket = appointment_serve_here(code=booking.code.lower(), session=session, actor=desk, now=ON_THE_DAY)

    assert (ticket.session, ticket.citizen, ticket.service, ticket.number) == (
        session,
        booking.citizen,
        "recording",
        1,
    )
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason) == ("cancelled", "served_elsewhere")
    assert Slot.objects.get(pk=slot.pk).booked == 0
    assert ScheduleEvent.objects.get(session=later, action="cancelled", appointment=booking).note.endswith(
        "#1"
    )
    here = ScheduleEvent.objects.get(session=session, action="served_here")
    assert here.appointment == booking and booking.code in here.note
    with pytest.raises(IllegalTransitionError):  # not an active booking any more
        appointment_serve_here(code=booking.code, session=session, actor=desk, now=ON_THE_DAY)
    assert Appointment.objects.get(pk=booking.pk).status == "cancelled"


def test_serving_here_is_one_transaction(session, desk):
    """When the visit here cannot be opened (too young for anything), the booking keeps its place."""
    from schedules.exceptions import NothingToServeError
    from schedules.models import Slot
    from schedules.services import appointment_book
    from schedules.services.queue import appointment_serve_here

    later = _session(DAY + dt.timedelta(days=7))
    slot = later.slots.order_by("starts_at")[0]
    citizen = citizen_aged(20, on=DAY)
    booking = appointment_book(
        slot=slot, citizen=citizen, service="recording", reason="new", now=ON_THE_DAY
    ).appointment
    ServiceRequest.objects.all().delete()
    type(citizen).objects.filter(pk=citizen.pk).update(
        recorded_at=ON_THE_DAY, printed_at=ON_THE_DAY, ikd_activated_at=ON_THE_DAY
    )
    with pytest.raises(NothingToServeError):
        appointment_serve_here(code=booking.code, session=session, actor=desk, now=ON_THE_DAY)
    booking.refresh_from_db()
    assert booking.status == "active" and Slot.objects.get(pk=slot.pk).booked == 1
    assert not QueueTicket.objects.exists()


# --- Two desks calling next at once (real threads, PostgreSQL) -------------------------------------

DESKS = 6
RACE_DAY = dt.date(2024, 3, 10)


def _race(regions_tx) -> list[object]:
    desk = staff_user("field", kecamatan=(KALIWUNGU,))
    session = _session(RACE_DAY)
    for index in range(DESKS):
        walk_in(session, desk, index, now=_at(RACE_DAY))
    return run_concurrently(
        DESKS,
        lambda i: queue_call_next(session=session, desk=i + 1, actor=desk, now=_at(RACE_DAY)),
    )


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_desks_calling_next_at_once_never_get_the_same_visit(regions_tx):
    results = _race(regions_tx)
    assert all(isinstance(r, QueueTicket) for r in results), results
    assert sorted(r.number for r in results) == list(range(1, DESKS + 1))
    assert all(t.call_count == 1 for t in QueueTicket.objects.all())


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_queue_lock_the_same_race_double_calls(regions_tx, monkeypatch):
    """Proves the test above can fail: with the session row lock switched off (and the window between
    reading the next number and calling it widened), desks call the same visit."""
    real_next = queue_services._next_waiting

    def slow_next(session):
        ticket = real_next(session)
        time.sleep(0.3)
        return ticket

    monkeypatch.setattr(queue_services, "_lock_queue", lambda s: OutreachSession.objects.get(pk=s.pk))
    monkeypatch.setattr(queue_services, "_next_waiting", slow_next)
    results = _race(regions_tx)
    numbers = [r.number for r in results if isinstance(r, QueueTicket)]
    assert len(numbers) > len(set(numbers)), "the unguarded race did not double-call"
