"""Issue 17: the offline desk's queued actions replayed exactly once through the desk services."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection

from blanks.models import StockBalance, StockMovement
from registrations.models import Citizen, ServiceRequest, ServiceRequestEvent
from registrations.services.service_requests import service_request_complete, service_request_start
from schedules.models import DeskAction, QueueTicket, ScheduleEvent
from schedules.services import appointment_book
from schedules.services.desk_sync import _dispatch, desk_action_apply, desk_sync
from schedules.services.queue import appointment_check_in
from tests.factories import OutreachSessionFactory, citizen_aged, staff_user, stocked_location
from tests.helpers import needs_postgres, run_concurrently

WIB = dt.timezone(dt.timedelta(hours=7))
DAY = dt.date(2024, 2, 11)
BOOKING_TIME = dt.datetime(2024, 2, 5, 10, 0, tzinfo=WIB)
RECORDED = dt.datetime(2019, 1, 7, 9, 0, tzinfo=WIB)


def at(minute: int) -> str:
    return dt.datetime(2024, 2, 11, 6, 0, tzinfo=WIB).replace(minute=minute).isoformat()


@pytest.fixture
def session(regions):
    return OutreachSessionFactory(
        date=DAY, kind="cfd", kecamatan="33.19.02", start_time=dt.time(6), end_time=dt.time(9)
    )


@pytest.fixture
def desk(regions):
    return staff_user("field", kecamatan=("33.19.02",))


@pytest.fixture
def other_desk(regions):
    return staff_user("field", kecamatan=("33.19.02",))


@pytest.fixture
def location(regions):
    return stocked_location(10, code="CFD-01", kind="mobile_unit")


def booked(session, *, service="printing", index=0, **fields):
    fields.setdefault("recorded_at", RECORDED)
    citizen = citizen_aged(20 + index, on=DAY, **fields)
    slot = session.slots.order_by("starts_at")[index]
    return appointment_book(
        slot=slot, citizen=citizen, service=service, reason="new", now=BOOKING_TIME
    ).appointment


def act(kind: str, payload: dict, minute: int, session=None, key=None) -> dict:
    action = {"key": str(key or uuid.uuid4()), "kind": kind, "payload": payload, "at": at(minute)}
    if session is not None:
        action["session"] = session.pk
    return action


def check_in_print_batch(session, appointment, location) -> list[dict]:
    check_in = act("check_in", {"code": appointment.code}, 5, session)
    ref = {"ref": check_in["key"]}
    return [
        check_in,
        act("start", ref, 7, session),
        act("complete", {**ref, "location": location.code}, 9, session),
    ]


def counts() -> dict:
    return {
        "requests": ServiceRequest.objects.count(),
        "request_events": ServiceRequestEvent.objects.count(),
        "tickets": QueueTicket.objects.count(),
        "check_in_events": ScheduleEvent.objects.filter(action="checked_in").count(),
        "walk_in_events": ScheduleEvent.objects.filter(action="walk_in").count(),
        "blank_issues": StockMovement.objects.filter(kind="issue").count(),
        "desk_actions": DeskAction.objects.count(),
    }


def statuses(outcomes) -> list[str]:
    return [outcome.status for outcome in outcomes]


def test_replaying_a_batch_applies_it_once_with_the_desk_times(session, desk, location):
    appointment = booked(session)
    batch = check_in_print_batch(session, appointment, location)
    first = desk_sync(session=session, actor=desk, actions=batch)
    assert statuses(first) == ["applied", "applied", "applied"], [o.message for o in first]
    after_first = counts()
    assert after_first == {
        "requests": 1,
        "request_events": 3,
        "tickets": 1,
        "check_in_events": 1,
        "walk_in_events": 0,
        "blank_issues": 1,
        "desk_actions": 3,
    }
    again = desk_sync(session=session, actor=desk, actions=batch)
    assert statuses(again) == ["duplicate", "duplicate", "duplicate"]
    assert [o.result["outcome"] for o in again] == ["applied"] * 3
    assert again[0].result["ticket"] == first[0].result["ticket"] == 1
    assert counts() == after_first
    request = ServiceRequest.objects.get()
    assert request.status == "completed"
    # The real time of each action, not the time of the sync.
    assert request.started_at == dt.datetime(2024, 2, 11, 6, 7, tzinfo=WIB)
    assert request.completed_at == dt.datetime(2024, 2, 11, 6, 9, tzinfo=WIB)
    assert Citizen.objects.get(pk=appointment.citizen_id).printed_at == request.completed_at
    assert StockBalance.objects.get(location=location).balance == 9
    assert list(ServiceRequestEvent.objects.values_list("actor", flat=True)) == [desk.pk] * 3


def test_a_partly_synced_batch_sent_again_applies_only_the_rest(session, desk, location):
    appointment = booked(session)
    batch = check_in_print_batch(session, appointment, location)
    assert statuses(desk_sync(session=session, actor=desk, actions=batch[:2])) == ["applied", "applied"]
    assert ServiceRequest.objects.get().status == "in_progress"
    full = desk_sync(session=session, actor=desk, actions=batch)
    assert statuses(full) == ["duplicate", "duplicate", "applied"]
    assert counts()["request_events"] == 3 and counts()["blank_issues"] == 1


def test_a_walk_in_with_three_services_and_a_printing_offline(session, desk, location):
    citizen = citizen_aged(30, on=DAY, recorded_at=RECORDED, printed_at=RECORDED)
    walk_in = act(
        "walk_in",
        {
            "nik": citizen.nik,
            "birth_date": citizen.birth_date.isoformat(),
            "services": [
                {"service": "recording", "reason": "data_change"},
                {"service": "printing", "reason": "damaged"},
                {"service": "ikd_activation", "reason": "new"},
            ],
        },
        10,
    )
    ref = {"ref": walk_in["key"], "service": "printing"}
    batch = [walk_in, act("start", ref, 12), act("complete", {**ref, "location": location.code}, 15)]
    for _round in range(2):
        desk_sync(session=session, actor=desk, actions=batch)
    outcome = DeskAction.objects.get(key=walk_in["key"])
    assert [t["service"] for t in outcome.result["tickets"]] == ["recording", "printing", "ikd_activation"]
    assert counts()["tickets"] == 3 and counts()["walk_in_events"] == 3
    assert dict(ServiceRequest.objects.values_list("service", "status")) == {
        "recording": "submitted",
        "printing": "completed",
        "ikd_activation": "submitted",
    }
    assert counts()["blank_issues"] == 1
    # No NIK or birth date is stored with the action.
    stored = str(list(DeskAction.objects.values()))
    assert citizen.nik not in stored and citizen.birth_date.isoformat() not in stored


def test_conflicts_are_answered_with_what_happened_and_stored(session, desk, other_desk, location):
    done_elsewhere = booked(session, index=0)
    empty = stocked_location(0, code="CFD-EMPTY", kind="mobile_unit")
    no_stock = booked(session, index=1)
    died = booked(session, index=2)
    batch = [
        *check_in_print_batch(session, done_elsewhere, location),
        *check_in_print_batch(session, no_stock, empty),
        act("check_in", {"code": died.code}, 20),
    ]
    # Meanwhile, online at another desk: the first booking is checked in and its printing completed.
    ticket = appointment_check_in(
        code=done_elsewhere.code,
        actor=other_desk,
        session=session,
        now=BOOKING_TIME.replace(day=11, hour=6, minute=1),
    )
    when = dt.datetime(2024, 2, 11, 6, 3, tzinfo=WIB)
    request = service_request_start(
        service_request=ticket.service_request, actor=other_desk, venue_kecamatan="33.19.02", now=when
    )
    service_request_complete(
        service_request=request, actor=other_desk, location=location, venue_kecamatan="33.19.02", now=when
    )
    Citizen.objects.filter(pk=died.citizen_id).update(deceased=True)

    outcomes = desk_sync(session=session, actor=desk, actions=batch)
    assert statuses(outcomes) == [
        "applied",
        "conflict",
        "conflict",
        "applied",
        "applied",
        "conflict",
        "conflict",
    ]
    assert outcomes[0].result["ticket"] == ticket.number  # the same ticket: the booking was checked in
    assert outcomes[1].code == outcomes[2].code == "completed_elsewhere"
    assert "06:03" in outcomes[2].message and other_desk.username in outcomes[2].message
    assert outcomes[5].code == "out_of_stock"
    assert outcomes[6].code == "not_eligible"
    # Nothing of a conflict was written; a replay answers the same conflicts.
    assert ServiceRequest.objects.get(citizen=no_stock.citizen).status == "in_progress"
    assert StockMovement.objects.filter(kind="issue").count() == 1
    again = desk_sync(session=session, actor=desk, actions=batch)
    assert [(o.status, o.result["outcome"], o.code) for o in again][5] == (
        "duplicate",
        "conflict",
        "out_of_stock",
    )


def test_invalid_actions_store_nothing_and_can_be_sent_again(session, desk):
    appointment = booked(session)
    key = uuid.uuid4()
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    outcomes = desk_sync(
        session=session,
        actor=desk,
        actions=[
            {"key": "not-a-key", "kind": "check_in", "payload": {"code": appointment.code}, "at": at(5)},
            {"key": str(key), "kind": "check_in", "payload": {"code": appointment.code}, "at": future},
            {"key": str(uuid.uuid4()), "kind": "explode", "payload": {}, "at": at(5)},
            {"key": str(uuid.uuid4()), "kind": "start", "payload": {"service_request": 10**9}, "at": at(5)},
            {
                "key": str(uuid.uuid4()),
                "kind": "walk_in",
                "payload": {"nik": "1", "birth_date": "2001-02-30", "services": []},
                "at": at(5),
            },
            "garbage",
        ],
    )
    assert statuses(outcomes) == ["invalid"] * 6
    assert DeskAction.objects.count() == 0 and QueueTicket.objects.count() == 0
    fixed = desk_action_apply(
        session=session,
        actor=desk,
        action={"key": str(key), "kind": "check_in", "payload": {"code": appointment.code}, "at": at(5)},
    )
    assert fixed.status == "applied"


def test_a_key_of_another_session_is_refused(session, desk, regions):
    appointment = booked(session)
    other = OutreachSessionFactory(
        date=DAY, kind="cfd", kecamatan="33.19.02", start_time=dt.time(6), end_time=dt.time(9)
    )
    action = act("check_in", {"code": appointment.code}, 5)
    assert desk_action_apply(session=session, actor=desk, action=action).status == "applied"
    outcome = desk_action_apply(session=other, actor=desk, action=action)
    assert outcome.status == "invalid" and outcome.result == {}


STEPS = [("", "submitted"), ("submitted", "in_progress"), ("in_progress", "completed")]


def snapshot() -> dict:
    """The server state two desks' syncs must agree on (queue numbers follow the sync order)."""
    return {
        "requests": sorted(
            ServiceRequest.objects.values_list(
                "citizen__nik", "service", "status", "started_at", "completed_at"
            )
        ),
        "events": sorted(
            ServiceRequestEvent.objects.values_list(
                "service_request__citizen__nik", "from_status", "to_status"
            )
        ),
        "tickets": sorted(QueueTicket.objects.values_list("citizen__nik", "service")),
        "schedule_events": sorted(ScheduleEvent.objects.values_list("action", flat=True)),
        "blank_issues": StockMovement.objects.filter(kind="issue").count(),
        "printed": sorted(Citizen.objects.filter(printed_at__isnull=False).values_list("nik", flat=True)),
    }


@pytest.mark.parametrize("order", ["a-then-b", "b-then-a"])
def test_two_desks_offline_sync_in_either_order_to_the_same_state(session, desk, other_desk, location, order):
    shared = booked(session, index=0, nik="3319021101900001")
    mine = booked(session, index=1, nik="3319021101900002")
    walker = citizen_aged(40, on=DAY, nik="3319021101900003", recorded_at=RECORDED)
    # Both tablets scanned the shared booking (the citizen went to both desks); desk A served its
    # printing, desk B served another booking and a walk-in.
    a_check = act("check_in", {"code": shared.code}, 5)
    desk_a = [
        a_check,
        act("start", {"ref": a_check["key"]}, 6),
        act("complete", {"ref": a_check["key"], "location": location.code}, 8),
    ]
    b_check = act("check_in", {"code": mine.code}, 5)
    b_walk = act(
        "walk_in",
        {
            "nik": walker.nik,
            "birth_date": walker.birth_date.isoformat(),
            "services": [{"service": "printing", "reason": "new"}],
        },
        9,
    )
    desk_b = [
        act("check_in", {"code": shared.code}, 4),
        b_check,
        act("start", {"ref": b_check["key"]}, 6),
        act("complete", {"ref": b_check["key"], "location": location.code}, 7),
        b_walk,
    ]
    first, second = (desk_a, desk_b) if order == "a-then-b" else (desk_b, desk_a)
    first_actor, second_actor = (desk, other_desk) if order == "a-then-b" else (other_desk, desk)
    desk_sync(session=session, actor=first_actor, actions=first)
    desk_sync(session=session, actor=second_actor, actions=second)
    state = snapshot()
    t = lambda minute: dt.datetime(2024, 2, 11, 6, minute, tzinfo=WIB)  # noqa: E731
    assert state == {
        "requests": [
            ("3319021101900001", "printing", "completed", t(6), t(8)),
            ("3319021101900002", "printing", "completed", t(6), t(7)),
            ("3319021101900003", "printing", "submitted", None, None),
        ],
        "events": sorted(
            [
                *[("3319021101900001", a, b) for a, b in STEPS],
                *[("3319021101900002", a, b) for a, b in STEPS],
                ("3319021101900003", "", "submitted"),
            ]
        ),
        "tickets": [
            ("3319021101900001", "printing"),
            ("3319021101900002", "printing"),
            ("3319021101900003", "printing"),
        ],
        "schedule_events": sorted(
            # Each completed booking closes its visit.
            [
                "session_created",
                "booked",
                "booked",
                "checked_in",
                "checked_in",
                "walk_in",
                "visit_closed",
                "visit_closed",
            ]
        ),
        "blank_issues": 2,
        "printed": ["3319021101900001", "3319021101900002"],
    }


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_syncs_of_the_same_batch_race_and_apply_it_once(regions_tx):
    location_committed = stocked_location(10, code="CFD-01", kind="mobile_unit")
    session = OutreachSessionFactory(
        date=DAY, kind="cfd", kecamatan="33.19.02", start_time=dt.time(6), end_time=dt.time(9)
    )
    desk = staff_user("field", kecamatan=("33.19.02",))
    appointment = booked(session)
    citizen = citizen_aged(33, on=DAY, recorded_at=RECORDED)
    walk_in = act(
        "walk_in",
        {
            "nik": citizen.nik,
            "birth_date": citizen.birth_date.isoformat(),
            "services": [{"service": "printing", "reason": "new"}],
        },
        3,
    )
    batch = [walk_in, *check_in_print_batch(session, appointment, location_committed)]

    def sync(_index):
        try:
            return statuses(desk_sync(session=session, actor=desk, actions=batch))
        finally:
            connection.close()

    results = run_concurrently(4, sync)
    assert all(isinstance(r, list) for r in results), results
    # Each action applied by exactly one of the four syncs; the others answered the stored result.
    for position in range(len(batch)):
        assert sorted(r[position] for r in results).count("applied") == 1, results
    assert counts() == {
        "requests": 2,
        "request_events": 4,
        "tickets": 2,
        "check_in_events": 1,
        "walk_in_events": 1,
        "blank_issues": 1,
        "desk_actions": 4,
    }

    # Guard off (control): the same walk-in dispatched twice without its key opens a second queue
    # ticket, which is what the key prevents.
    assert QueueTicket.objects.filter(citizen=citizen).count() == 1
    _dispatch(
        session=session,
        actor=desk,
        kind="walk_in",
        payload=_walk_payload(citizen),
        at=dt.datetime(2024, 2, 11, 6, 30, tzinfo=WIB),
    )
    assert QueueTicket.objects.filter(citizen=citizen).count() == 2


def _walk_payload(citizen) -> dict:
    return {
        "nik": citizen.nik,
        "birth_date": citizen.birth_date.isoformat(),
        "services": [{"service": "printing", "reason": "new"}],
    }
