from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from registrations.exceptions import NotEligibleError
from registrations.services import service_requests as rules
from schedules.codes import CODE_ALPHABET, token_hash, token_matches
from schedules.exceptions import (
    AlreadyBookedError,
    BookingClosedError,
    ChangeClosedError,
    IdentityMismatchError,
    OutsideBookingWindowError,
    ServiceNotOfferedError,
    SlotFullError,
    SlotUnavailableError,
)
from schedules.models import Appointment, ScheduleEvent, Slot
from schedules.services import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
    citizen_verify,
    session_cancel,
    slot_remove,
)
from schedules.services.eligibility import CITIZEN_MESSAGES
from tests.factories import CitizenFactory, OutreachSessionFactory, citizen_aged, staff_user

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 2, 1, 10, 0, tzinfo=WIB)
SESSION_DAY = dt.date(2024, 2, 4)
RECORDED = dt.datetime(2020, 1, 6, 9, 0, tzinfo=WIB)


@pytest.fixture
def session(regions):
    return OutreachSessionFactory(
        date=SESSION_DAY, kind="cfd", start_time=dt.time(6), end_time=dt.time(9), desks=1, slot_capacity=2
    )


def first_slot(session) -> Slot:
    return session.slots.order_by("starts_at").first()


def book(citizen, slot, service="recording", reason="new", **kwargs):
    kwargs.setdefault("now", NOW)
    return appointment_book(slot=slot, citizen=citizen, service=service, reason=reason, **kwargs)


def test_a_booking_gets_an_unambiguous_code_and_a_hashed_token(session):
    citizen = citizen_aged(20, on=SESSION_DAY, days_after_birthday=100)
    result = book(citizen, first_slot(session))
    appointment = result.appointment
    assert result.created
    assert len(appointment.code) == 8
    assert set(appointment.code) <= set(CODE_ALPHABET)
    assert not set(appointment.code) & set("01OI")
    assert result.manage_token not in appointment.manage_token_hash
    assert appointment.manage_token_hash == token_hash(result.manage_token)
    assert token_matches(result.manage_token, appointment.manage_token_hash)
    assert not token_matches("wrong", appointment.manage_token_hash)
    assert Slot.objects.get(pk=appointment.slot_id).booked == 1
    assert ScheduleEvent.objects.filter(appointment=appointment, action="booked").count() == 1


def test_codes_are_random_and_unique(session, settings):
    slot = first_slot(session)
    Slot.objects.filter(pk=slot.pk).update(capacity=60)
    codes = {book(CitizenFactory(), slot).appointment.code for _ in range(60)}
    assert len(codes) == 60


def test_identity_must_match_the_registry_with_one_generic_message(regions):
    citizen = CitizenFactory(birth_date=dt.date(2005, 3, 1))
    assert citizen_verify(nik=citizen.nik, birth_date=dt.date(2005, 3, 1)) == citizen
    with pytest.raises(IdentityMismatchError) as wrong_date:
        citizen_verify(nik=citizen.nik, birth_date=dt.date(2005, 3, 2))
    with pytest.raises(IdentityMismatchError) as unknown:
        citizen_verify(nik="3319010103059999", birth_date=dt.date(2005, 3, 1))
    citizen.deceased = True
    citizen.save()
    with pytest.raises(IdentityMismatchError) as deceased:
        citizen_verify(nik=citizen.nik, birth_date=dt.date(2005, 3, 1))
    assert str(wrong_date.value) == str(unknown.value) == str(deceased.value)


def test_a_sixteen_year_old_can_book_recording_but_not_printing(session):
    sixteen = citizen_aged(16, on=SESSION_DAY, days_after_birthday=30, recorded_at=None)
    assert book(sixteen, first_slot(session), service="recording").created
    printing_candidate = citizen_aged(16, on=SESSION_DAY, days_after_birthday=30, recorded_at=RECORDED)
    with pytest.raises(NotEligibleError) as caught:
        book(printing_candidate, first_slot(session), service="printing")
    assert caught.value.code == "not_eligible"
    assert "17" in str(caught.value.message)


def test_eligibility_is_judged_on_the_session_date_not_on_the_booking_date(session):
    # 16 on the day of booking, 17 on the session date (birthday the day of the session): may print.
    turns_17_that_day = citizen_aged(17, on=SESSION_DAY, days_after_birthday=0, recorded_at=RECORDED)
    assert book(turns_17_that_day, first_slot(session), service="printing").created
    # Turns 17 the day after the session: not yet.
    turns_17_after = citizen_aged(17, on=SESSION_DAY, days_after_birthday=-1, recorded_at=RECORDED)
    with pytest.raises(NotEligibleError):
        book(turns_17_after, first_slot(session), service="printing")
    # Turns 16 on the session day: may record.
    turns_16_that_day = citizen_aged(16, on=SESSION_DAY, days_after_birthday=0)
    assert book(turns_16_that_day, first_slot(session), service="recording").created


def test_printing_and_ikd_need_a_completed_recording(session):
    adult = citizen_aged(25, on=SESSION_DAY, recorded_at=None)
    for service in ("printing", "ikd_activation"):
        with pytest.raises(NotEligibleError) as caught:
            book(adult, first_slot(session), service=service)
        assert caught.value.message == CITIZEN_MESSAGES[rules.MSG_NOT_RECORDED]
    assert not Appointment.objects.exists()


def test_a_married_fifteen_year_old_may_record(session):
    married = citizen_aged(15, on=SESSION_DAY, days_after_birthday=10, marital_status="kawin")
    assert book(married, first_slot(session)).created


def test_a_service_the_session_does_not_offer_is_refused(regions):
    session = OutreachSessionFactory(date=SESSION_DAY, services=["recording"])
    adult = citizen_aged(30, on=SESSION_DAY, recorded_at=RECORDED)
    with pytest.raises(ServiceNotOfferedError):
        book(adult, first_slot(session), service="printing")


def test_a_full_slot_is_refused_and_cancelling_frees_a_place(session):
    slot = first_slot(session)
    first, second, third = (citizen_aged(20, on=SESSION_DAY, days_after_birthday=n) for n in (1, 2, 3))
    one = book(first, slot)
    book(second, slot)
    with pytest.raises(SlotFullError) as caught:
        book(third, slot)
    assert caught.value.code == "slot_full" and caught.value.status_code == 409
    assert Appointment.objects.filter(citizen=third).count() == 0
    appointment_cancel(appointment=one.appointment, now=NOW)
    assert Slot.objects.get(pk=slot.pk).booked == 1
    assert book(third, slot).created
    assert Slot.objects.get(pk=slot.pk).booked == 2


def test_one_active_booking_per_citizen_and_service(session):
    citizen = citizen_aged(20, on=SESSION_DAY, recorded_at=RECORDED)
    slots = list(session.slots.order_by("starts_at"))
    book(citizen, slots[0], service="printing")
    with pytest.raises(AlreadyBookedError):
        book(citizen, slots[1], service="printing")
    # another service is another booking
    assert book(citizen, slots[1], service="ikd_activation").created


def test_the_database_refuses_a_second_active_booking_even_without_the_service(session):
    citizen = citizen_aged(20, on=SESSION_DAY)
    appointment = book(citizen, first_slot(session)).appointment
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(
            code="ABCDEFGH",
            manage_token_hash="x" * 64,
            citizen=citizen,
            slot=appointment.slot,
            service="recording",
            reason="new",
            created_at=NOW,
        )


def test_the_database_refuses_more_bookings_than_capacity(session):
    slot = first_slot(session)
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=slot.capacity + 1)


def test_submitting_the_same_form_twice_gives_one_booking(session):
    citizen = citizen_aged(20, on=SESSION_DAY)
    slot = first_slot(session)
    first = book(citizen, slot, manage_token="form-token-123456789")
    again = book(citizen, slot, manage_token="form-token-123456789")
    assert first.created and not again.created
    assert again.appointment.pk == first.appointment.pk
    assert again.manage_token == first.manage_token
    assert Appointment.objects.filter(citizen=citizen).count() == 1
    assert Slot.objects.get(pk=slot.pk).booked == 1


def test_the_same_form_page_reused_for_another_citizen_makes_a_second_booking(session):
    slot = first_slot(session)
    first = book(citizen_aged(20, on=SESSION_DAY), slot, manage_token="shared-computer-token")
    second = book(citizen_aged(21, on=SESSION_DAY), slot, manage_token="shared-computer-token")
    assert second.created and second.appointment.pk != first.appointment.pk
    assert second.manage_token != first.manage_token


def test_past_slots_cut_off_and_the_booking_window(session, settings):
    settings.SCHEDULES_BOOKING_CUTOFF_MINUTES = 30
    settings.SCHEDULES_BOOKING_WINDOW_DAYS = 30
    slot = first_slot(session)  # 06:00–06:15 on 4 Feb
    citizen = citizen_aged(20, on=SESSION_DAY)
    with pytest.raises(BookingClosedError):
        book(citizen, slot, now=dt.datetime(2024, 2, 4, 6, 20, tzinfo=WIB))  # past
    with pytest.raises(BookingClosedError):
        book(citizen, slot, now=dt.datetime(2024, 2, 4, 5, 45, tzinfo=WIB))  # inside the cut-off
    with pytest.raises(OutsideBookingWindowError) as caught:
        book(citizen, slot, now=dt.datetime(2024, 1, 1, 10, 0, tzinfo=WIB))  # 34 days ahead
    assert "30" in str(caught.value.message)
    assert book(citizen, slot, now=dt.datetime(2024, 2, 4, 5, 29, tzinfo=WIB)).created
    assert Appointment.objects.count() == 1


def test_staff_booking_a_walk_in_is_not_held_to_the_public_cut_off(session):
    slot = first_slot(session)
    staff = staff_user("field", kecamatan=(session.kecamatan_id,))  # desk staff of the session's kecamatan
    citizen = citizen_aged(20, on=SESSION_DAY)
    result = book(citizen, slot, actor=staff, now=dt.datetime(2024, 2, 4, 6, 5, tzinfo=WIB))
    assert result.created and result.appointment.booked_by == staff


def test_unpublished_cancelled_sessions_and_removed_slots_cannot_be_booked(session):
    citizen = citizen_aged(20, on=SESSION_DAY)
    slots = list(session.slots.order_by("starts_at"))
    slot_remove(slot=slots[0], now=NOW)
    with pytest.raises(SlotUnavailableError):
        book(citizen, slots[0])
    hidden = OutreachSessionFactory(date=SESSION_DAY, published=False)
    with pytest.raises(SlotUnavailableError):
        book(citizen, first_slot(hidden))
    session_cancel(session=session, now=NOW)
    with pytest.raises(SlotUnavailableError):
        book(citizen, slots[1])
    assert not Appointment.objects.exists()


def test_reschedule_moves_the_place_and_keeps_one_active_booking(session):
    citizen = citizen_aged(20, on=SESSION_DAY)
    slots = list(session.slots.order_by("starts_at"))
    result = book(citizen, slots[0])
    moved = appointment_reschedule(appointment=result.appointment, slot=slots[3], now=NOW)
    assert moved.code == result.appointment.code
    assert Appointment.objects.filter(citizen=citizen, status="active").count() == 1
    assert Appointment.objects.get(citizen=citizen).slot_id == slots[3].pk
    assert Slot.objects.get(pk=slots[0].pk).booked == 0
    assert Slot.objects.get(pk=slots[3].pk).booked == 1
    assert ScheduleEvent.objects.filter(appointment=moved, action="rescheduled").count() == 1


def test_reschedule_to_a_full_slot_changes_nothing(session):
    slots = list(session.slots.order_by("starts_at"))
    mine = book(citizen_aged(20, on=SESSION_DAY), slots[0]).appointment
    book(citizen_aged(21, on=SESSION_DAY), slots[1])
    book(citizen_aged(22, on=SESSION_DAY), slots[1])
    with pytest.raises(SlotFullError):
        appointment_reschedule(appointment=mine, slot=slots[1], now=NOW)
    mine.refresh_from_db()
    assert mine.slot_id == slots[0].pk and mine.status == "active"
    assert [Slot.objects.get(pk=s.pk).booked for s in slots[:2]] == [1, 2]


def test_citizens_cannot_cancel_or_move_after_the_change_cut_off_but_staff_can(session, settings):
    settings.SCHEDULES_CHANGE_CUTOFF_MINUTES = 120
    slots = list(session.slots.order_by("starts_at"))
    appointment = book(citizen_aged(20, on=SESSION_DAY), slots[0]).appointment
    late = dt.datetime(2024, 2, 4, 4, 30, tzinfo=WIB)
    with pytest.raises(ChangeClosedError):
        appointment_cancel(appointment=appointment, now=late)
    with pytest.raises(ChangeClosedError):
        appointment_reschedule(appointment=appointment, slot=slots[2], now=late)
    desk = staff_user("operator", kecamatan=(session.kecamatan_id,))
    cancelled = appointment_cancel(appointment=appointment, actor=desk, now=late)
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "staff"


def test_cancelling_twice_changes_nothing_the_second_time(session):
    appointment = book(citizen_aged(20, on=SESSION_DAY), first_slot(session)).appointment
    appointment_cancel(appointment=appointment, now=NOW)
    appointment_cancel(appointment=appointment, now=NOW)
    assert Slot.objects.get(pk=appointment.slot_id).booked == 0
    assert ScheduleEvent.objects.filter(appointment=appointment, action="cancelled").count() == 1
