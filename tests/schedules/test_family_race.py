"""Families and singles racing for the last places of one slot, on PostgreSQL with real threads:
never more than the capacity, and each family gets all its places or none."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest

from schedules.exceptions import SlotFullError
from schedules.models import Appointment, Slot
from schedules.services import appointments as booking
from schedules.services import family as family_booking
from tests.factories import CitizenFactory, OutreachSessionFactory
from tests.helpers import needs_postgres, run_concurrently

CAPACITY = 12
FAMILIES = 8  # of 3: 24 places asked
SINGLES = 12
FAMILY_SIZE = 3

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def _setup():
    from regions.services import regions_load

    regions_load()
    session = OutreachSessionFactory(
        date=dt.date.today() + dt.timedelta(days=2), desks=4, slot_capacity=CAPACITY, services=["recording"]
    )
    slot = session.slots.order_by("starts_at").first()
    families = [
        [CitizenFactory(kk=f"33190101012{index:05d}") for _ in range(FAMILY_SIZE)]
        for index in range(FAMILIES)
    ]
    singles = [CitizenFactory() for _ in range(SINGLES)]
    return slot, families, singles


def _rush(slot: Slot, families: list, singles: list) -> Counter:
    def attempt(index: int) -> str:
        if index < len(families):
            family_booking.appointments_book_family(
                slot=slot,
                members=[
                    family_booking.FamilyMember(citizen=citizen, service="recording", reason="new")
                    for citizen in families[index]
                ],
            )
            return "family"
        booking.appointment_book(
            slot=slot, citizen=singles[index - len(families)], service="recording", reason="new"
        )
        return "single"

    outcomes: Counter = Counter()
    for result in run_concurrently(len(families) + len(singles), attempt, timeout=120):
        outcomes[
            result if isinstance(result, str) else "full" if isinstance(result, SlotFullError) else "error"
        ] += 1
    return outcomes


def _naive_take_place(slot_id: int) -> bool:
    """The read-check-write the conditional UPDATE prevents (as in test_capacity)."""
    holding = Appointment.objects.filter(slot_id=slot_id, status__in=Appointment.HOLDING).count()
    capacity = Slot.objects.values_list("capacity", flat=True).get(pk=slot_id)
    if holding > capacity:
        return False
    time.sleep(0.02)
    Slot.objects.filter(pk=slot_id).update(booked=min(holding, capacity))
    return True


def test_families_and_singles_racing_never_overbook_and_families_stay_whole():
    slot, families, singles = _setup()
    outcomes = _rush(slot, families, singles)
    assert outcomes["error"] == 0, outcomes
    slot.refresh_from_db()
    active = Appointment.objects.filter(slot=slot, status="active")
    assert slot.booked == active.count() == outcomes["family"] * FAMILY_SIZE + outcomes["single"]
    assert slot.booked <= CAPACITY
    assert outcomes["family"] + outcomes["single"] >= 1 and outcomes["full"] >= 1
    # All or nothing: a family has 0 or 3 bookings, all sharing one family id.
    for members in families:
        booked = list(active.filter(citizen__in=members).values_list("family", flat=True))
        assert len(booked) in (0, FAMILY_SIZE)
        assert len(set(booked)) <= 1
    assert not Appointment.objects.exclude(status="active").exists()


def test_with_the_naive_read_check_write_the_same_race_overbooks(monkeypatch):
    """The control: the same race with the guard replaced by a read-check-write goes wrong."""
    monkeypatch.setattr(booking, "_take_place", _naive_take_place)
    slot, families, singles = _setup()
    outcomes = _rush(slot, families, singles)
    assert outcomes["error"] == 0, outcomes
    held = Appointment.objects.filter(slot=slot, status="active").count()
    assert held > CAPACITY, outcomes
