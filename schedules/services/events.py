"""The audit log and the one transition function of appointments."""

from __future__ import annotations

import datetime as dt

from core.access import user_roles
from schedules.exceptions import IllegalTransitionError
from schedules.models import Appointment, OutreachSession, ScheduleEvent, Slot

# Which status an appointment may move to from which: everything but `active` is final.
_TRANSITIONS: dict[str, frozenset[str]] = {
    Appointment.Status.ACTIVE: frozenset(
        {Appointment.Status.CANCELLED, Appointment.Status.CHECKED_IN, Appointment.Status.NO_SHOW}
    ),
}


def event_log(
    *,
    action: str,
    session: OutreachSession | int,
    at: dt.datetime,
    actor=None,
    appointment: Appointment | None = None,
    slot: Slot | None = None,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
) -> ScheduleEvent:
    session_id = session if isinstance(session, int) else session.pk
    return ScheduleEvent.objects.create(
        action=action,
        session_id=session_id,
        at=at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        appointment=appointment,
        slot=slot,
        from_status=from_status,
        to_status=to_status,
        note=note[:255],
    )


def appointment_transition(
    appointment: Appointment, *, to: str, action: str, at: dt.datetime, actor=None, note: str = ""
) -> None:
    """Move a (locked) appointment to `to` and log it; the caller saves the other fields it changed.

    Raises IllegalTransitionError when the current status does not allow the move.
    """
    current = appointment.status
    if to not in _TRANSITIONS.get(current, frozenset()):
        raise IllegalTransitionError()
    appointment.status = to
    appointment.save(update_fields=["status", "cancelled_at", "cancel_reason", "checked_in_at"])
    event_log(
        action=action,
        session=appointment.slot.session_id,
        at=at,
        actor=actor,
        appointment=appointment,
        slot=appointment.slot,
        from_status=current,
        to_status=to,
        note=note,
    )


def is_staff_actor(actor) -> bool:
    """Staff acting for a citizen (walk-ins, desk corrections) are not held to the public cut-offs."""
    if not getattr(actor, "is_authenticated", False):
        return False
    return bool(user_roles(actor)) or bool(getattr(actor, "is_staff", False))
