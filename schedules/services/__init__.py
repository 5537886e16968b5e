"""Every write and business rule of the schedules app (sessions, series, slots, appointments, queue).

Views, API views, commands and tasks call these functions; nothing else writes these tables.
"""

from schedules.services.appointments import (
    BookingResult,
    appointment_book,
    appointment_cancel,
    appointment_notify_cancelled,
    appointment_remind,
    appointment_reminders_enqueue,
    appointment_reschedule,
    citizen_verify,
    no_shows_enqueue,
    session_mark_no_shows,
)
from schedules.services.confirmations import appointment_confirm
from schedules.services.queue import appointment_check_in, queue_call_next, walk_in_register
from schedules.services.sessions import (
    SessionCancelResult,
    series_create,
    session_cancel,
    session_create,
    session_update,
    slot_remove,
)

__all__ = [
    "BookingResult",
    "SessionCancelResult",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_confirm",
    "appointment_notify_cancelled",
    "appointment_remind",
    "appointment_reminders_enqueue",
    "appointment_reschedule",
    "citizen_verify",
    "no_shows_enqueue",
    "queue_call_next",
    "series_create",
    "session_cancel",
    "session_create",
    "session_mark_no_shows",
    "session_update",
    "slot_remove",
    "walk_in_register",
]
