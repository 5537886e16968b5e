"""Domain errors of the schedules app: a stable `code`, an HTTP status, a translated message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError, ConflictError

# Booking applies the service requests' eligibility rules, so it raises their error (`not_eligible`).
# Public flows identify the citizen through registrations (NIK + KK), which raises this error.
from registrations.exceptions import (
    IdentityMismatchError,  # noqa: F401
    NotEligibleError,  # noqa: F401
)


class SlotFullError(ConflictError):
    code = "slot_full"
    default_message = _("This time slot is full. Please choose another time.")


class AlreadyBookedError(ConflictError):
    code = "already_booked"
    default_message = _(
        "You already have an active booking for this service. Cancel or move it with the link on "
        "your confirmation page."
    )


class ServiceNotOfferedError(ApplicationError):
    code = "service_not_offered"
    default_message = _("This session does not offer the chosen service.")


class SlotUnavailableError(ApplicationError):
    code = "slot_unavailable"
    default_message = _("This time slot is not available for booking.")


class BookingClosedError(ApplicationError):
    code = "booking_closed"
    default_message = _("Booking for this time slot has closed. Please choose a later time.")


class OutsideBookingWindowError(ApplicationError):
    code = "outside_booking_window"
    default_message = _("This session cannot be booked yet: bookings open {days} days ahead.")


class ChangeClosedError(ConflictError):
    code = "change_closed"
    default_message = _(
        "This booking can no longer be cancelled or moved online. Please contact the service desk."
    )


class IllegalTransitionError(ConflictError):
    code = "illegal_transition"
    default_message = _("This booking cannot change from its current status.")


class WrongSessionDayError(ConflictError):
    code = "wrong_session_day"
    default_message = _("Check-in is only possible on the day of the session.")


class SessionCancelledError(ConflictError):
    code = "session_cancelled"
    default_message = _("This session has been cancelled.")


class InvalidSessionError(ApplicationError):
    code = "invalid_session"
    default_message = _("The session details are not valid.")


class NothingToCallError(ConflictError):
    code = "queue_empty"
    default_message = _("Nobody is waiting in the queue.")


class NothingToServeError(ApplicationError):
    code = "nothing_to_serve"
    default_message = _(
        "This resident needs none of the services this session offers today (done already, or not yet "
        "allowed)."
    )


class VisitClosedError(ConflictError):
    code = "visit_closed"
    default_message = _("This queue number has nothing left to serve.")


class VisitStepError(ConflictError):
    """The desk meant a service of a visit that is not the one open now (services go in order)."""

    code = "visit_step"
    default_message = _("This service of the visit is not the one being served now.")
