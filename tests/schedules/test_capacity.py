"""200 citizens booking the same slot of capacity 20 at once, on PostgreSQL with real threads."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from schedules.exceptions import SlotFullError
from schedules.models import Appointment, Slot
from schedules.services import appointments as booking
from schedules.services import citizen_verify
from tests.factories import CitizenFactory, OutreachSessionFactory
from tests.helpers import needs_postgres, run_concurrently

ATTEMPTS = 200
CAPACITY = 20

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def _rush(slot: Slot, citizens: list) -> dict[str, int]:
    """Every citizen books the slot at the same moment (a barrier releases all threads together)."""
    for citizen in citizens:
        citizen_verify(nik=citizen.nik, birth_date=citizen.birth_date)

    def attempt(index: int) -> str:
        booking.appointment_book(slot=slot, citizen=citizens[index], service="recording", reason="new")
        return "booked"

    outcomes = {"booked": 0, "full": 0, "error": 0}
    for result in run_concurrently(len(citizens), attempt, timeout=120):
        # Any answer other than a booking or SlotFullError is a failure of the test.
        outcome = result if result == "booked" else "full" if isinstance(result, SlotFullError) else "error"
        outcomes[outcome] += 1
    return outcomes


def _setup():
    from regions.services import regions_load

    regions_load()
    session = OutreachSessionFactory(
        date=dt.date.today() + dt.timedelta(days=2), desks=4, slot_capacity=CAPACITY, services=["recording"]
    )
    slot = session.slots.order_by("starts_at").first()
    citizens = [CitizenFactory() for _ in range(ATTEMPTS)]
    return slot, citizens


def _naive_take_place(slot_id: int) -> bool:
    """The read-check-write that the conditional UPDATE of `_take_place` prevents: count the places
    held (our own uncommitted row included), decide, then write an absolute value."""
    holding = Appointment.objects.filter(slot_id=slot_id, status__in=Appointment.HOLDING).count()
    capacity = Slot.objects.values_list("capacity", flat=True).get(pk=slot_id)
    if holding > capacity:
        return False
    time.sleep(0.02)  # widen the window between the read and the write
    Slot.objects.filter(pk=slot_id).update(booked=min(holding, capacity))
    return True


def test_two_hundred_concurrent_bookings_fill_twenty_places_and_no_more():
    slot, citizens = _setup()
    outcomes = _rush(slot, citizens)
    assert outcomes == {"booked": CAPACITY, "full": ATTEMPTS - CAPACITY, "error": 0}
    slot.refresh_from_db()
    assert slot.booked == CAPACITY
    assert Appointment.objects.filter(slot=slot, status="active").count() == CAPACITY


def test_with_the_naive_read_check_write_the_same_rush_overbooks(monkeypatch):
    """Proves the test above can fail: the naive read-check-write (injected here in place of the
    conditional UPDATE) lets more than 20 in."""
    monkeypatch.setattr(booking, "_take_place", _naive_take_place)
    slot, citizens = _setup()
    outcomes = _rush(slot, citizens)
    assert outcomes["error"] == 0
    assert Appointment.objects.filter(slot=slot, status="active").count() > CAPACITY
    assert outcomes["booked"] > CAPACITY
