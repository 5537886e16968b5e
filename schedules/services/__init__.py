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
from schedules.services.family import (
    FamilyBookingResult,
    FamilyMember,
    appointments_book_family,
    family_confirm,
    family_identify,
    family_of,
)
from schedules.services.manage_links import (
    appointment_manage_link_resend,
    appointment_manage_link_send,
    appointments_find,
)
from schedules.services.queue import (
    appointment_check_in,
    appointment_serve_here,
    queue_call_next,
    visit_advance,
    visit_complete_current,
    visit_services_plan,
    walk_in_register,
)
from schedules.services.sessions import (
    SessionCancelResult,
    series_create,
    session_cancel,
    session_create,
    session_update,
    slot_remove,
)
from schedules.services.waiting_list import entry_by_leave_token as waitlist_entry_by_leave_token
from schedules.services.waiting_list import leave_path as waitlist_leave_path
from schedules.services.waiting_list import (
    waitlist_join,
    waitlist_leave,
    waitlist_offer_accept,
    waitlist_offer_decline,
    waitlist_offer_send,
    waitlist_sweep,
)

__all__ = [
    "BookingResult",
    "FamilyBookingResult",
    "FamilyMember",
    "SessionCancelResult",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_confirm",
    "appointment_manage_link_resend",
    "appointment_manage_link_send",
    "appointment_notify_cancelled",
    "appointment_remind",
    "appointment_reminders_enqueue",
    "appointment_reschedule",
    "appointment_serve_here",
    "appointments_book_family",
    "appointments_find",
    "citizen_verify",
    "family_confirm",
    "family_identify",
    "family_of",
    "no_shows_enqueue",
    "queue_call_next",
    "series_create",
    "session_cancel",
    "session_create",
    "session_mark_no_shows",
    "session_update",
    "slot_remove",
    "visit_advance",
    "visit_complete_current",
    "visit_services_plan",
    "waitlist_entry_by_leave_token",
    "waitlist_join",
    "waitlist_leave",
    "waitlist_leave_path",
    "waitlist_offer_accept",
    "waitlist_offer_decline",
    "waitlist_offer_send",
    "waitlist_sweep",
    "walk_in_register",
]
