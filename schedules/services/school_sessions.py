"""The session of a school visit, created from the planner's list (issue 16): it books nobody but
reserves the expected capacity — a place in one of its slots for every student on the list."""

from __future__ import annotations

import datetime as dt
import hashlib
import math

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ConflictError
from schedules.exceptions import InvalidSessionError
from schedules.models import OutreachSession, SessionKind
from schedules.services.sessions import session_create, slot_windows

SLOT_MINUTES = 15
MAX_SLOT_CAPACITY = 1000
MAX_DESKS = 50


class SchoolSessionExistsError(ConflictError):
    code = "school_session_exists"
    default_message = gettext_lazy("This school already has a session on that day.")


def _serialise_per_school_day(school: str, date: dt.date) -> None:
    """Two clicks on "create" for one school and day wait for each other (PostgreSQL advisory lock
    until the transaction ends), so the check for an existing session below cannot be raced."""
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time
    digest = hashlib.sha256(f"school-session:{school.upper()}:{date.isoformat()}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)])


@transaction.atomic
def school_session_plan(
    *,
    school: str,
    date: dt.date,
    expected: int,
    services: list[str],
    kecamatan: str,
    actor,
    start_time: dt.time = dt.time(8),
    end_time: dt.time = dt.time(12),
    now: dt.datetime | None = None,
    serialise: bool = True,
) -> OutreachSession:
    """Create the (unpublished) school session of `school` on `date` with room for `expected`
    students: every slot holds ceil(expected / slots) places and the desks follow
    (SCHEDULES_PLACES_PER_DESK each). Unpublished, so the public cannot take the students' places;
    nobody is booked. Raises what `session_create` raises, InvalidSessionError (no student, too
    many), SchoolSessionExistsError (one is already planned there that day). `serialise=False` is
    for the race test's control run only."""
    school = school.strip()
    if expected < 1:
        raise InvalidSessionError(_("No student on the list: there is nothing to reserve."))
    windows = slot_windows(date, start_time, end_time, SLOT_MINUTES)
    if not windows:
        raise InvalidSessionError(_("The visit is too short for one slot."))
    capacity = math.ceil(expected / len(windows))
    if capacity > MAX_SLOT_CAPACITY:
        raise InvalidSessionError(_("Too many students for one visit: split the list over several days."))
    if serialise:
        _serialise_per_school_day(school, date)
    exists = OutreachSession.objects.filter(
        kind=SessionKind.SCHOOL,
        venue_name__iexact=school,
        date=date,
        status=OutreachSession.Status.SCHEDULED,
    ).exists()
    if exists:
        raise SchoolSessionExistsError()
    return session_create(
        kind=SessionKind.SCHOOL,
        title=f"Goes To School: {school}",  # the programme's name, as in the demo campaign
        venue_name=school,
        kecamatan=kecamatan,
        date=date,
        start_time=start_time,
        end_time=end_time,
        services=services,
        desks=min(MAX_DESKS, max(1, math.ceil(capacity / settings.SCHEDULES_PLACES_PER_DESK))),
        slot_minutes=SLOT_MINUTES,
        slot_capacity=capacity,
        published=False,
        notes=_("Planned from the school visit list: %(count)s students expected.") % {"count": expected},
        actor=actor,
        now=now,
    )
