"""One freed place yields exactly one live offer: many sweeps at once (beat, the cancel's own
sweep, a retried task) on PostgreSQL with real threads, and the control without the guard."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from schedules.models import Appointment, Slot, WaitlistEntry
from schedules.services import appointment_book, appointment_cancel, waitlist_join, waitlist_sweep
from schedules.services import appointments as booking
from tests.factories import CitizenFactory, OutreachSessionFactory
from tests.helpers import needs_postgres, run_concurrently

CAPACITY = 3
WAITING = 6
SWEEPS = 8

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def _setup(settings, monkeypatch):
    from regions.services import regions_load

    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    regions_load()
    session = OutreachSessionFactory(
        date=dt.date.today() + dt.timedelta(days=2),
        start_time=dt.time(8, 0),
        end_time=dt.time(8, 15),
        slot_minutes=15,
        desks=1,
        slot_capacity=CAPACITY,
        services=["recording"],
    )
    slot = session.slots.get()
    booked = [
        appointment_book(slot=slot, citizen=CitizenFactory(), service="recording", reason="new").appointment
        for _ in range(CAPACITY)
    ]
    for index in range(WAITING):
        waitlist_join(
            session=session,
            citizen=CitizenFactory(),
            service="recording",
            reason="new",
            phone=f"0812000000{index:02d}",
        )
    # Free one place without its own sweep running first (the nudge waits in the outbox): the
    # race below is between sweeps only.
    with monkeypatch.context() as patch:
        patch.setattr(booking, "waitlist_nudge", lambda session_id: None)
        appointment_cancel(appointment=booked[0])
    slot.refresh_from_db()
    assert slot.booked == CAPACITY - 1
    return session, slot


def _race(session) -> list:
    return run_concurrently(SWEEPS, lambda _index: waitlist_sweep(session_id=session.pk), timeout=120)


def _naive_take_place(slot_id: int) -> bool:
    """Read-check-write of the free places (what the conditional UPDATE prevents)."""
    holding = Appointment.objects.filter(slot_id=slot_id, status__in=Appointment.HOLDING).count()
    offered = WaitlistEntry.objects.filter(offered_slot_id=slot_id, status="offered").count()
    capacity = Slot.objects.values_list("capacity", flat=True).get(pk=slot_id)
    if holding + offered >= capacity:
        return False
    time.sleep(0.05)  # widen the window between the read and the write
    Slot.objects.filter(pk=slot_id).update(booked=min(holding + offered + 1, capacity))
    return True


def test_one_freed_place_yields_exactly_one_live_offer(settings, monkeypatch):
    session, slot = _setup(settings, monkeypatch)
    results = _race(session)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 1
    offered = WaitlistEntry.objects.filter(status="offered")
    assert offered.count() == 1
    first = WaitlistEntry.objects.order_by("created_at", "pk").first()
    assert offered.get() == first  # the first in line
    slot.refresh_from_db()
    assert slot.booked == CAPACITY  # the offer holds the freed place, and no more
    assert WaitlistEntry.objects.filter(status="waiting").count() == WAITING - 1


def test_without_the_guard_the_same_sweeps_offer_one_place_several_times(settings, monkeypatch):
    """The control: with a read-check-write in place of the conditional UPDATE, concurrent sweeps
    each see the free place and each make an offer."""
    session, _slot = _setup(settings, monkeypatch)
    monkeypatch.setattr(booking, "_take_place", _naive_take_place)
    results = _race(session)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert WaitlistEntry.objects.filter(status="offered").count() > 1
