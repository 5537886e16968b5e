"""Examples of the schedules API for its OpenAPI schema (a session at a kecamatan office on
Saturday 3 February 2024, the week before the election)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

_SLOT = {
    "id": 341,
    "start": "2024-02-03T08:15:00+07:00",
    "end": "2024-02-03T08:30:00+07:00",
    "capacity": 6,
    "booked": 2,
    "remaining": 4,
    "open": True,
}
_SESSION = {
    "id": 57,
    "kind": "kecamatan",
    "title": "Perekaman e-KTP Kecamatan Kaliwungu",
    "venue": "Kantor Kecamatan Kaliwungu",
    "venue_address": "Jl. Kudus–Jepara Km 5, Kaliwungu",
    "latitude": "-6.776120",
    "longitude": "110.808450",
    "kecamatan": "33.19.01",
    "kecamatan_name": "Kaliwungu",
    "date": "2024-02-03",
    "start_time": "08:00:00",
    "end_time": "11:00:00",
    "services": ["recording", "printing", "ikd_activation"],
    "desks": 2,
    "slot_minutes": 15,
    "slot_capacity": 6,
    "published": True,
    "status": "scheduled",
    "notes": "",
    "series": None,
    "slots": [_SLOT],
}
_SESSION_REF = {
    "id": 57,
    "kind": "kecamatan",
    "title": "Perekaman e-KTP Kecamatan Kaliwungu",
    "venue": "Kantor Kecamatan Kaliwungu",
    "venue_address": "Jl. Kudus–Jepara Km 5, Kaliwungu",
    "kecamatan": "33.19.01",
    "date": "2024-02-03",
    "status": "scheduled",
}
_SLOT_REF = {"id": 341, "start": "2024-02-03T08:15:00+07:00", "end": "2024-02-03T08:30:00+07:00"}
_APPOINTMENT = {
    "code": "K7Q2MX9B",
    "status": "active",
    "service": "recording",
    "reason": "new",
    "slot": _SLOT_REF,
    "session": _SESSION_REF,
    "citizen": {"id": None, "nik": "3319********0003", "full_name": None},
    "created_at": "2024-02-01T19:42:10+07:00",
    "cancelled_at": None,
    "cancel_reason": "",
    "checked_in_at": None,
    "queue_number": None,
}
_TICKET = {
    "number": 14,
    "session": 57,
    "code": "K7Q2MX9B",
    "service": "recording",
    "status": "waiting",
    "desk": None,
    "issued_at": "2024-02-03T08:11:05+07:00",
    "called_at": None,
    "service_request": 512,
}

SESSION = OpenApiExample("A session at a kecamatan office", value=_SESSION, response_only=True)
SESSION_CREATE = OpenApiExample(
    "Saturday morning at the kecamatan office",
    value={
        "kind": "kecamatan",
        "title": "Perekaman e-KTP Kecamatan Kaliwungu",
        "venue": "Kantor Kecamatan Kaliwungu",
        "venue_address": "Jl. Kudus–Jepara Km 5, Kaliwungu",
        "latitude": "-6.776120",
        "longitude": "110.808450",
        "kecamatan": "33.19.01",
        "date": "2024-02-03",
        "start_time": "08:00",
        "end_time": "11:00",
        "services": ["recording", "printing", "ikd_activation"],
        "desks": 2,
        "slot_minutes": 15,
        "published": True,
    },
    request_only=True,
)
SESSION_UPDATE = OpenApiExample(
    "Unpublish with a note",
    value={"published": False, "notes": "Moved to the aula on the first floor."},
    request_only=True,
)
SESSION_UPDATED = OpenApiExample(
    "Unpublished",
    value={**_SESSION, "published": False, "notes": "Moved to the aula on the first floor."},
    response_only=True,
)
SESSION_CANCEL = OpenApiExample("Reason", value={"reason": "Power cut at the venue."}, request_only=True)
SESSION_CANCELLED = OpenApiExample(
    "Cancelled, 9 bookings cancelled and notified",
    value={"session": {**_SESSION, "status": "cancelled"}, "cancelled_appointments": 9},
    response_only=True,
)
SLOT_REMOVED = OpenApiExample(
    "Slot closed, 2 bookings cancelled and notified",
    value={"slot": {**_SLOT, "booked": 0, "remaining": 6, "open": False}, "cancelled_appointments": 2},
    response_only=True,
)
WALK_IN = OpenApiExample(
    "A walk-in",
    value={"nik": "3319014507060003", "birth_date": "2006-07-05", "service": "recording", "reason": "new"},
    request_only=True,
)
WALK_IN_TICKET = OpenApiExample(
    "Queue number for a walk-in",
    value={**_TICKET, "number": 15, "code": None, "service_request": 513},
    response_only=True,
)
CALL_NEXT = OpenApiExample("Desk 2", value={"desk": 2}, request_only=True)
CALLED = OpenApiExample(
    "Called to desk 2",
    value={**_TICKET, "status": "called", "desk": 2, "called_at": "2024-02-03T08:31:40+07:00"},
    response_only=True,
)
QUEUE = OpenApiExample(
    "The queue display",
    value={
        "serving": [{"number": 14, "desk": 2}],
        "waiting": [15, 16, 17],
        "waiting_count": 3,
        "done_count": 13,
    },
    response_only=True,
)

_SERIES = {
    "id": 4,
    "kind": "cfd",
    "title": "Car Free Day Alun-alun",
    "venue": "Alun-alun Simpang Tujuh Kudus",
    "venue_address": "",
    "kecamatan": "33.19.02",
    "start_date": "2024-01-07",
    "end_date": "2024-02-11",
    "weekdays": [6],
    "skip_holidays": True,
    "start_time": "06:00:00",
    "end_time": "09:00:00",
    "services": ["recording", "ikd_activation"],
    "desks": 3,
    "slot_minutes": 30,
    "slot_capacity": 9,
    "published": True,
    "sessions": ["2024-01-07", "2024-01-14", "2024-01-21", "2024-01-28", "2024-02-04", "2024-02-11"],
}
SERIES = OpenApiExample("Sundays at the car-free day", value=_SERIES, response_only=True)
SERIES_CREATE = OpenApiExample(
    "Every Sunday morning",
    value={
        "kind": "cfd",
        "title": "Car Free Day Alun-alun",
        "venue": "Alun-alun Simpang Tujuh Kudus",
        "kecamatan": "33.19.02",
        "start_date": "2024-01-07",
        "end_date": "2024-02-11",
        "weekdays": [6],
        "skip_holidays": True,
        "start_time": "06:00",
        "end_time": "09:00",
        "services": ["recording", "ikd_activation"],
        "desks": 3,
        "slot_minutes": 30,
    },
    request_only=True,
)

BOOKING = OpenApiExample(
    "Book a place",
    value={
        "nik": "3319014507060003",
        "kk": "3319010102150007",
        "service": "recording",
        "reason": "new",
        "slot": 341,
        "phone": "081234567890",
        "email": "",
    },
    request_only=True,
)
BOOKED = OpenApiExample(
    "Booked",
    value={
        "code": "K7Q2MX9B",
        "manage_token": "p3Jx9sQ0rT2vW8yZ1aB4cD7eF0gH3iK6",
        "status": "active",
        "slot": _SLOT_REF,
        "session": _SESSION_REF,
        "service": "recording",
    },
    response_only=True,
)
BOOKING_FAMILY = OpenApiExample(
    "Book a family in one slot",
    value={
        "nik": "3319014507800001",
        "kk": "3319010102150007",
        "service": "recording",
        "reason": "new",
        "slot": 341,
        "phone": "081234567890",
        "members": [{"nik": "3319014507080002"}, {"nik": "3319015507090003", "service": "recording"}],
    },
    request_only=True,
)
BOOKED_FAMILY = OpenApiExample(
    "Booked a family",
    value={
        "code": "K7Q2MX9B",
        "manage_token": "p3Jx9sQ0rT2vW8yZ1aB4cD7eF0gH3iK6",
        "status": "active",
        "slot": _SLOT_REF,
        "session": _SESSION_REF,
        "service": "recording",
        "family": "6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f",
        "members": [
            {
                "code": "K7Q2MX9B",
                "manage_token": "p3Jx9sQ0rT2vW8yZ1aB4cD7eF0gH3iK6",
                "status": "active",
                "service": "recording",
            },
            {
                "code": "M4P8RT2C",
                "manage_token": "Z2xq8VbN0mLk4JhG6fDs1aQw3eRt5yUi",
                "status": "active",
                "service": "recording",
            },
        ],
    },
    response_only=True,
)
# Read with the manage token (the public): the citizen without id and name.
APPOINTMENT = OpenApiExample("A booking (read with its manage token)", value=_APPOINTMENT, response_only=True)
STAFF_APPOINTMENT = OpenApiExample(
    "A booking (staff of its kecamatan)",
    value={**_APPOINTMENT, "citizen": {"id": 4211, "nik": "3319********0003", "full_name": "Siti Aminah"}},
    response_only=True,
)
FIND = OpenApiExample(
    "Find my booking", value={"nik": "3319014507060003", "kk": "3319010102150007"}, request_only=True
)
FIND_ANSWER = OpenApiExample(
    "Always this answer",
    value={
        "detail": "If the NIK and KK number match an upcoming booking with a mobile number or e-mail "
        "address, the link to it is on its way."
    },
    response_only=True,
    status_codes=["202"],
)
MANAGE_TOKEN = OpenApiExample(
    "With the manage token", value={"token": "p3Jx9sQ0rT2vW8yZ1aB4cD7eF0gH3iK6"}, request_only=True
)
CANCELLED = OpenApiExample(
    "Cancelled by the citizen",
    value={
        **_APPOINTMENT,
        "status": "cancelled",
        "cancelled_at": "2024-02-02T07:15:00+07:00",
        "cancel_reason": "citizen",
    },
    response_only=True,
)
RESCHEDULE = OpenApiExample(
    "Move to another slot",
    value={"token": "p3Jx9sQ0rT2vW8yZ1aB4cD7eF0gH3iK6", "slot": 352},
    request_only=True,
)
RESCHEDULED = OpenApiExample(
    "Moved (same code and link)",
    value={
        **_APPOINTMENT,
        "slot": {"id": 352, "start": "2024-02-03T10:00:00+07:00", "end": "2024-02-03T10:15:00+07:00"},
    },
    response_only=True,
)
CHECKED_IN = OpenApiExample("Checked in: queue number 14", value=_TICKET, response_only=True)
