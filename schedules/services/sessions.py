"""Outreach sessions, recurring series and their slots.

LOCK ORDER (every schedules service): session row, then slot rows in id order, then appointment rows
in id order. Keeping one order means two services never wait on each other in a cycle.

WHO: planning (create, change, cancel, remove a slot) is for core.access.SESSION_MANAGERS of the
session's kecamatan; `actor=None` is the system (the demo seed, commands). Another role raises
NotPermittedError (403); creating in a kecamatan outside the actor's scope raises NotPermittedError,
changing a session outside it NotFoundError (404: scoped staff do not see it). Nothing is written then.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.access import SESSION_MANAGERS, require_in_scope, require_role
from core.exceptions import NotPermittedError
from core.outbox import outbox_enqueue
from regions.models import Kecamatan
from schedules.exceptions import InvalidSessionError
from schedules.holidays import holidays_between
from schedules.models import (
    Appointment,
    OutreachSeries,
    OutreachSession,
    ScheduleEvent,
    Service,
    SessionKind,
    Slot,
    local_tz,
)
from schedules.services.events import appointment_transition, event_log

MAX_SERIES_DAYS = 366
UPDATABLE_FIELDS = frozenset(
    {"title", "venue_name", "venue_address", "latitude", "longitude", "notes", "published"}
)


@dataclass(frozen=True)
class SessionCancelResult:
    session: OutreachSession
    cancelled_appointments: int


def default_slot_capacity(desks: int) -> int:
    return desks * settings.SCHEDULES_PLACES_PER_DESK


def slot_windows(
    date: dt.date, start_time: dt.time, end_time: dt.time, minutes: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Consecutive slots of `minutes` from start to end (WIB); a shorter remainder is not a slot."""
    tz = local_tz()
    start = dt.datetime.combine(date, start_time, tzinfo=tz)
    end = dt.datetime.combine(date, end_time, tzinfo=tz)
    step = dt.timedelta(minutes=minutes)
    windows = []
    while start + step <= end:
        windows.append((start, start + step))
        start += step
    return windows


def _kecamatan_of(value: Kecamatan | str) -> Kecamatan:
    if isinstance(value, Kecamatan):
        return value
    try:
        return Kecamatan.objects.get(code=value)
    except Kecamatan.DoesNotExist:
        raise InvalidSessionError(fields={"kecamatan": [_("Unknown kecamatan code.")]}) from None


def _check_may_plan_in(actor, kecamatan: Kecamatan | str) -> None:
    require_role(actor, SESSION_MANAGERS)
    code = kecamatan.code if isinstance(kecamatan, Kecamatan) else kecamatan
    require_in_scope(actor, str(code), error=NotPermittedError)


def _check_may_change(actor, kecamatan_code: str) -> None:
    require_role(actor, SESSION_MANAGERS)
    require_in_scope(actor, kecamatan_code)


def _clean_fields(
    *,
    kind: str,
    title: str,
    venue_name: str,
    start_time: dt.time,
    end_time: dt.time,
    services: list[str],
    desks: int,
    slot_minutes: int,
    slot_capacity: int | None,
) -> dict[str, Any]:
    """Check the shape of a session or series; raises InvalidSessionError listing every bad field."""
    errors: dict[str, list] = {}
    if kind not in SessionKind.values:
        errors["kind"] = [_("Unknown kind of session.")]
    if not title.strip():
        errors["title"] = [_("A title is required.")]
    if not venue_name.strip():
        errors["venue"] = [_("A venue is required.")]
    services = list(dict.fromkeys(services))
    if not services:
        errors["services"] = [_("Choose at least one service.")]
    elif any(service not in Service.values for service in services):
        errors["services"] = [_("Unknown service.")]
    if not 1 <= desks <= 50:
        errors["desks"] = [_("Between 1 and 50 service desks.")]
    if not 5 <= slot_minutes <= 240:
        errors["slot_minutes"] = [_("A slot lasts between 5 and 240 minutes.")]
    if slot_capacity is not None and not 1 <= slot_capacity <= 1000:
        errors["slot_capacity"] = [_("Between 1 and 1000 places per slot.")]
    if end_time <= start_time:
        errors["end_time"] = [_("The end time must be after the start time.")]
    elif "slot_minutes" not in errors and not slot_windows(
        dt.date(2024, 1, 1), start_time, end_time, slot_minutes
    ):
        errors["slot_minutes"] = [_("The session is shorter than one slot.")]
    if errors:
        raise InvalidSessionError(fields=errors)
    return {
        "kind": kind,
        "title": title.strip(),
        "venue_name": venue_name.strip(),
        "start_time": start_time,
        "end_time": end_time,
        "offers_recording": Service.RECORDING in services,
        "offers_printing": Service.PRINTING in services,
        "offers_ikd": Service.IKD_ACTIVATION in services,
        "desks": desks,
        "slot_minutes": slot_minutes,
        "slot_capacity": slot_capacity if slot_capacity is not None else default_slot_capacity(desks),
    }


def _session_insert(
    *, fields: dict[str, Any], date: dt.date, series: OutreachSeries | None, actor, now: dt.datetime
) -> OutreachSession:
    session = OutreachSession.objects.create(
        **fields,
        date=date,
        series=series,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    Slot.objects.bulk_create(
        Slot(session=session, starts_at=start, ends_at=end, capacity=session.slot_capacity)
        for start, end in slot_windows(date, session.start_time, session.end_time, session.slot_minutes)
    )
    event_log(action=ScheduleEvent.Action.SESSION_CREATED, session=session, at=now, actor=actor)
    return session


@transaction.atomic
def session_create(
    *,
    kind: str,
    title: str,
    venue_name: str,
    kecamatan: Kecamatan | str,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    services: list[str],
    desks: int = 1,
    slot_minutes: int = 15,
    slot_capacity: int | None = None,
    venue_address: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    published: bool = True,
    notes: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> OutreachSession:
    """Create a session and its slots (start to end in steps of `slot_minutes`, WIB).

    `slot_capacity` defaults to desks × SCHEDULES_PLACES_PER_DESK. Raises NotPermittedError (see
    WHO above), InvalidSessionError.
    """
    now = now or timezone.now()
    _check_may_plan_in(actor, kecamatan)
    fields = _clean_fields(
        kind=kind,
        title=title,
        venue_name=venue_name,
        start_time=start_time,
        end_time=end_time,
        services=services,
        desks=desks,
        slot_minutes=slot_minutes,
        slot_capacity=slot_capacity,
    )
    fields.update(
        kecamatan=_kecamatan_of(kecamatan),
        venue_address=venue_address.strip(),
        latitude=latitude,
        longitude=longitude,
        published=published,
        notes=notes,
    )
    return _session_insert(fields=fields, date=date, series=None, actor=actor, now=now)


def series_dates(
    *, start_date: dt.date, end_date: dt.date, weekdays: list[int], skip_holidays: bool
) -> list[dt.date]:
    """The dates a series covers: matching weekdays (0 = Monday), minus the days off if asked (the
    national public holidays and cuti bersama, with the admin table's overrides)."""
    holidays = holidays_between(start_date, end_date) if skip_holidays else {}
    days = (end_date - start_date).days + 1
    candidates = (start_date + dt.timedelta(days=offset) for offset in range(days))
    return [day for day in candidates if day.weekday() in weekdays and day not in holidays]


@transaction.atomic
def series_create(
    *,
    kind: str,
    title: str,
    venue_name: str,
    kecamatan: Kecamatan | str,
    start_date: dt.date,
    end_date: dt.date,
    weekdays: list[int],
    start_time: dt.time,
    end_time: dt.time,
    services: list[str],
    desks: int = 1,
    slot_minutes: int = 15,
    slot_capacity: int | None = None,
    skip_holidays: bool = True,
    venue_address: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    published: bool = True,
    notes: str = "",
    actor=None,
    now: dt.datetime | None = None,
) -> OutreachSeries:
    """Create a recurring series and one session (with slots) per matching date.

    Raises NotPermittedError (see WHO above), InvalidSessionError for bad fields, an empty or
    over-long date range, or no matching date.
    """
    now = now or timezone.now()
    _check_may_plan_in(actor, kecamatan)
    fields = _clean_fields(
        kind=kind,
        title=title,
        venue_name=venue_name,
        start_time=start_time,
        end_time=end_time,
        services=services,
        desks=desks,
        slot_minutes=slot_minutes,
        slot_capacity=slot_capacity,
    )
    errors: dict[str, list] = {}
    weekdays = sorted(set(weekdays))
    if not weekdays or any(not isinstance(day, int) or not 0 <= day <= 6 for day in weekdays):
        errors["weekdays"] = [_("Choose weekdays between 0 (Monday) and 6 (Sunday).")]
    if end_date < start_date:
        errors["end_date"] = [_("The last date must not be before the first date.")]
    elif (end_date - start_date).days >= MAX_SERIES_DAYS:
        errors["end_date"] = [_("A series covers at most one year.")]
    if errors:
        raise InvalidSessionError(fields=errors)
    dates = series_dates(
        start_date=start_date, end_date=end_date, weekdays=weekdays, skip_holidays=skip_holidays
    )
    if not dates:
        raise InvalidSessionError(
            fields={"weekdays": [_("No date in the range matches the chosen weekdays.")]}
        )
    fields.update(
        kecamatan=_kecamatan_of(kecamatan),
        venue_address=venue_address.strip(),
        latitude=latitude,
        longitude=longitude,
        published=published,
        notes=notes,
    )
    series = OutreachSeries.objects.create(
        **fields,
        start_date=start_date,
        end_date=end_date,
        weekdays=weekdays,
        skip_holidays=skip_holidays,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    for day in dates:
        _session_insert(fields=fields, date=day, series=series, actor=actor, now=now)
    return series


@transaction.atomic
def session_update(
    *, session: OutreachSession, actor=None, now: dt.datetime | None = None, **changes
) -> OutreachSession:
    """Change what describes a session (title, venue, notes, published). Times and services stay as
    booked: cancel and recreate a session to change them. Raises NotPermittedError, NotFoundError
    (WHO above), InvalidSessionError."""
    now = now or timezone.now()
    _check_may_change(actor, session.kecamatan_id)
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise InvalidSessionError(
            fields={name: [_("This field cannot be changed.")] for name in sorted(unknown)}
        )
    for name in ("title", "venue_name"):
        if name in changes and not str(changes[name]).strip():
            raise InvalidSessionError(fields={name: [_("This field is required.")]})
    session = OutreachSession.objects.select_for_update().get(pk=session.pk)
    for name, value in changes.items():
        setattr(session, name, value.strip() if isinstance(value, str) else value)
    session.save(update_fields=[*changes])
    if changes:
        event_log(
            action=ScheduleEvent.Action.SESSION_UPDATED,
            session=session,
            at=now,
            actor=actor,
            note=", ".join(sorted(changes)),
        )
    return session


def _cancel_holding_bookings(
    appointments, *, cancel_reason: str, actor, now: dt.datetime, note: str
) -> list[int]:
    """Cancel the given active appointments (locked here, in id order), release their places and
    publish one notification per citizen. Returns the cancelled ids."""
    cancelled: list[int] = []
    per_slot: Counter[int] = Counter()
    for appointment in appointments.select_for_update().select_related("slot").order_by("pk"):
        appointment.cancelled_at = now
        appointment.cancel_reason = cancel_reason
        appointment_transition(
            appointment,
            to=Appointment.Status.CANCELLED,
            action=ScheduleEvent.Action.CANCELLED,
            at=now,
            actor=actor,
            note=note,
        )
        per_slot[appointment.slot_id] += 1
        cancelled.append(appointment.pk)
    # Slots in id order (fixed lock order against a concurrent session cancel or reschedule).
    for slot_id in sorted(per_slot):
        Slot.objects.filter(pk=slot_id).update(booked=F("booked") - per_slot[slot_id])
    for appointment_id in cancelled:
        outbox_enqueue(
            "schedules.tasks.appointment_notify_cancelled",
            {"appointment_id": appointment_id},
            dedupe_key=f"schedules:cancelled:{appointment_id}",
        )
    return cancelled


@transaction.atomic
def session_cancel(
    *, session: OutreachSession, reason: str = "", actor=None, now: dt.datetime | None = None
) -> SessionCancelResult:
    """Cancel a session: its active bookings are cancelled and every citizen is notified with a
    rebook link (e-mail and/or SMS; the registry's contact if the booking gave none). Idempotent.
    Raises NotPermittedError, NotFoundError (WHO above)."""
    now = now or timezone.now()
    _check_may_change(actor, session.kecamatan_id)
    # The session row lock makes a concurrent booking (which reads the session) wait or see it cancelled.
    session = OutreachSession.objects.select_for_update().get(pk=session.pk)
    if session.is_cancelled:
        return SessionCancelResult(session=session, cancelled_appointments=0)
    # Closing every slot (locked in id order, see LOCK ORDER) makes a booking still in flight fail its
    # conditional UPDATE, which requires an open slot, instead of landing in a cancelled session.
    slot_ids = list(
        Slot.objects.select_for_update().filter(session=session).order_by("pk").values_list("pk", flat=True)
    )
    Slot.objects.filter(pk__in=slot_ids, removed_at__isnull=True).update(removed_at=now)
    session.status = OutreachSession.Status.CANCELLED
    session.cancelled_at = now
    session.cancel_reason = reason[:255]
    session.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    event_log(
        action=ScheduleEvent.Action.SESSION_CANCELLED, session=session, at=now, actor=actor, note=reason
    )
    cancelled = _cancel_holding_bookings(
        Appointment.objects.filter(slot__session=session, status=Appointment.Status.ACTIVE),
        cancel_reason=Appointment.CancelReason.SESSION_CANCELLED,
        actor=actor,
        now=now,
        note=reason,
    )
    return SessionCancelResult(session=session, cancelled_appointments=len(cancelled))


@transaction.atomic
def slot_remove(*, slot: Slot, reason: str = "", actor=None, now: dt.datetime | None = None) -> int:
    """Take a slot out of booking; its active bookings are cancelled and the citizens notified with a
    rebook link. Returns how many bookings were cancelled. Idempotent. Raises NotPermittedError,
    NotFoundError (WHO above)."""
    now = now or timezone.now()
    _check_may_change(
        actor, OutreachSession.objects.values_list("kecamatan_id", flat=True).get(pk=slot.session_id)
    )
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if slot.removed_at is not None:
        return 0
    slot.removed_at = now
    slot.save(update_fields=["removed_at"])
    event_log(
        action=ScheduleEvent.Action.SLOT_REMOVED,
        session=slot.session_id,
        slot=slot,
        at=now,
        actor=actor,
        note=reason,
    )
    cancelled = _cancel_holding_bookings(
        Appointment.objects.filter(slot=slot, status=Appointment.Status.ACTIVE),
        cancel_reason=Appointment.CancelReason.SLOT_REMOVED,
        actor=actor,
        now=now,
        note=reason,
    )
    return len(cancelled)
