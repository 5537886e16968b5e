"""200 citizens booking the same slot of capacity 20 at once, on PostgreSQL with real threads."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from registrations.models import Citizen
from schedules.exceptions import SlotFullError
from schedules.models import Appointment, Slot
from schedules.services import appointments as booking
from schedules.services import citizen_verify
from tests.factories import CitizenFactory, OutreachSessionFactory

ATTEMPTS = 200
CAPACITY = 20

pytestmark = pytest.mark.django_db(transaction=True)


def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (make test)")


def _rush(slot_id: int, citizen_ids: list[int]) -> dict[str, int]:
    """Every citizen books the slot at the same moment (a barrier releases all threads together)."""
    outcomes = {"booked": 0, "full": 0, "error": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(len(citizen_ids))

    def attempt(citizen_id: int) -> None:
        try:
            citizen = Citizen.objects.get(pk=citizen_id)
            slot = Slot.objects.get(pk=slot_id)
            citizen_verify(nik=citizen.nik, birth_date=citizen.birth_date)
            barrier.wait(timeout=60)
            try:
                booking.appointment_book(slot=slot, citizen=citizen, service="recording", reason="new")
                outcome = "booked"
            except SlotFullError:
                outcome = "full"
            except Exception:  # any other answer is a failure of the test
                outcome = "error"
            with lock:
                outcomes[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(pk,)) for pk in citizen_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _setup():
    from regions.services import regions_load

    regions_load()
    session = OutreachSessionFactory(
        date=dt.date.today() + dt.timedelta(days=2), desks=4, slot_capacity=CAPACITY, services=["recording"]
    )
    slot = session.slots.order_by("starts_at").first()
    citizens = [CitizenFactory().pk for _ in range(ATTEMPTS)]
    return slot, citizens


def test_two_hundred_concurrent_bookings_fill_twenty_places_and_no_more():
    _needs_postgres()
    slot, citizens = _setup()
    outcomes = _rush(slot.pk, citizens)
    assert outcomes == {"booked": CAPACITY, "full": ATTEMPTS - CAPACITY, "error": 0}
    slot.refresh_from_db()
    assert slot.booked == CAPACITY
    assert Appointment.objects.filter(slot=slot, status="active").count() == CAPACITY


def test_with_the_guard_switched_off_the_same_rush_overbooks(monkeypatch):
    """Proves the test above can fail: the naive read-check-write lets more than 20 in."""
    _needs_postgres()
    monkeypatch.setattr(booking, "CAPACITY_GUARD", False)
    slot, citizens = _setup()
    outcomes = _rush(slot.pk, citizens)
    assert outcomes["error"] == 0
    assert Appointment.objects.filter(slot=slot, status="active").count() > CAPACITY
    assert outcomes["booked"] > CAPACITY
