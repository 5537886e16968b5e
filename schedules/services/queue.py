"""Check-in, walk-ins and the per-session queue.

Queue numbers come from `OutreachSession.last_queue_number`, incremented under the session's row
lock, so two desks checking people in at the same moment never hand out the same number.

The citizen's ServiceRequest is opened at check-in (and at a walk-in's registration), not at
booking: a booking that is cancelled, moved or never shows up leaves no request behind, the request
counts from the day the citizen is actually there, and eligibility is re-checked on that day by the
service-request rules. If the citizen already has an open request for the service (e.g. from an
earlier visit), that one is linked instead of a second being opened. Calling a number to a desk
starts its request (submitted → in_progress).

ONE TRUTH FOR A VISIT: a QueueTicket is the visit and owns its requests (`service_requests`). It is
open (waiting/called) while one of them is open; completing, cancelling or rejecting the last one
closes it in the same transaction (`visit_close_if_done`, run by registrations'
`service_request_closed` signal). "Call next" releases the desk's previous visit first: done when
nothing is open any more, else back in the queue (behind those not called yet), or, after
`SCHEDULES_QUEUE_NO_SHOW_AFTER_CALLS` calls, a no-show whose open requests are cancelled. It then
calls the open waiting visit with the fewest calls and the lowest number, under the session's row
lock (`_lock_queue`), so two desks never call the same visit.

WHO: core.access.DESK_STAFF of the session's kecamatan; they serve whoever comes to their session,
so the request rules are told where (`venue_kecamatan`) and accept a citizen of another kecamatan.
`actor=None` is the system. Another role raises NotPermittedError (403); a session outside the
actor's scope is not found (NotFoundError 404; for a booking code, Appointment.DoesNotExist as an
unknown code). Nothing is written then.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from core.access import DESK_STAFF, in_scope, require_in_scope, require_role
from registrations.exceptions import AlreadyOpenError
from registrations.models import Citizen, ServiceRequest
from registrations.services.service_requests import (
    service_request_cancel,
    service_request_create,
    service_request_start,
)
from schedules.codes import normalize_code
from schedules.exceptions import (
    IllegalTransitionError,
    ServiceNotOfferedError,
    SessionCancelledError,
    WrongSessionDayError,
)
from schedules.models import Appointment, OutreachSession, QueueTicket, ScheduleEvent
from schedules.services.events import appointment_transition, event_log

# Where a request opened at an outreach session was made, by the kind of session. "Other" outreach
# (e.g. a village hall) is counted with the kecamatan offices.
CHANNEL_OF_KIND = {
    "cfd": ServiceRequest.Channel.CFD,
    "kecamatan": ServiceRequest.Channel.KECAMATAN,
    "school": ServiceRequest.Channel.SCHOOL,
    "office": ServiceRequest.Channel.OFFICE,
    "other": ServiceRequest.Channel.KECAMATAN,
}


def _open_service_request(
    *,
    citizen: Citizen,
    service: str,
    reason: str,
    session: OutreachSession,
    actor,
    now: dt.datetime,
    notes: str,
) -> ServiceRequest:
    """A new request for the citizen, or the one already open for this service."""
    try:
        return service_request_create(
            citizen=citizen,
            service=service,
            reason=reason,
            channel=CHANNEL_OF_KIND[session.kind],
            actor=actor,
            venue_kecamatan=session.kecamatan_id,
            notes=notes,
            now=now,
        )
    except AlreadyOpenError:
        return ServiceRequest.objects.get(
            citizen=citizen, service=service, status__in=ServiceRequest.OPEN_STATUSES
        )


def _check_desk(actor, session: OutreachSession) -> None:
    require_role(actor, DESK_STAFF)
    require_in_scope(actor, session.kecamatan_id)


def _next_number(session: OutreachSession) -> int:
    OutreachSession.objects.filter(pk=session.pk).update(last_queue_number=F("last_queue_number") + 1)
    return OutreachSession.objects.values_list("last_queue_number", flat=True).get(pk=session.pk)


def _check_session_day(session: OutreachSession, now: dt.datetime) -> None:
    if session.is_cancelled:
        raise SessionCancelledError()
    if session.date != timezone.localdate(now):
        raise WrongSessionDayError()


@transaction.atomic
def appointment_check_in(
    *, code: str, actor, session: OutreachSession | None = None, now: dt.datetime | None = None
) -> QueueTicket:
    """Check a booked citizen in on the session day: a queue number of that session. Scanning the same
    code twice returns the same ticket. Raises Appointment.DoesNotExist (unknown code, or not of
    `session` when given, or outside the actor's kecamatan), NotPermittedError (WHO above),
    WrongSessionDayError, SessionCancelledError, IllegalTransitionError."""
    now = now or timezone.now()
    require_role(actor, DESK_STAFF)
    normalized = normalize_code(code)
    found = (
        Appointment.objects.filter(code=normalized or "")
        .values_list("pk", "slot__session_id", "slot__session__kecamatan_id")
        .first()
    )
    if found is None or (session is not None and found[1] != session.pk):
        raise Appointment.DoesNotExist
    appointment_id, session_id, kecamatan_code = found
    if actor is not None and not in_scope(actor, kecamatan_code):
        raise Appointment.DoesNotExist
    # LOCK ORDER: the session row first (it also serialises the queue counter), then the booking.
    locked_session = OutreachSession.objects.select_for_update().get(pk=session_id)
    appointment = (
        Appointment.objects.select_for_update().select_related("slot", "citizen").get(pk=appointment_id)
    )
    if appointment.status == Appointment.Status.CHECKED_IN:
        return appointment.ticket
    if appointment.status != Appointment.Status.ACTIVE:
        raise IllegalTransitionError()
    _check_session_day(locked_session, now)
    service_request = _open_service_request(
        citizen=appointment.citizen,
        service=appointment.service,
        reason=appointment.reason,
        session=locked_session,
        actor=actor,
        now=now,
        notes=f"booking {appointment.code}",
    )
    appointment.checked_in_at = now
    if not Appointment.objects.filter(service_request=service_request).exists():
        appointment.service_request = service_request  # one request, one booking (OneToOne)
        appointment.save(update_fields=["service_request"])
    appointment_transition(
        appointment,
        to=Appointment.Status.CHECKED_IN,
        action=ScheduleEvent.Action.CHECKED_IN,
        at=now,
        actor=actor,
    )
    ticket = QueueTicket.objects.create(
        session=locked_session,
        number=_next_number(locked_session),
        appointment=appointment,
        citizen=appointment.citizen,
        service=appointment.service,
        service_request=service_request,
        issued_at=now,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    ticket.service_requests.add(service_request)
    return ticket


@transaction.atomic
def walk_in_register(
    *,
    session: OutreachSession,
    citizen: Citizen,
    service: str,
    reason: str,
    actor,
    now: dt.datetime | None = None,
) -> QueueTicket:
    """Give a citizen without a booking a queue number of today's session (identity checked by the
    caller, e.g. `citizen_verify`). Raises WrongSessionDayError, SessionCancelledError,
    ServiceNotOfferedError, NotEligibleError, NotPermittedError, NotFoundError (WHO above)."""
    now = now or timezone.now()
    _check_desk(actor, session)
    session = OutreachSession.objects.select_for_update().get(pk=session.pk)
    _check_session_day(session, now)
    if not session.offers(service):
        raise ServiceNotOfferedError()
    # Eligibility on the day: the service-request rules, applied when the request is opened.
    service_request = _open_service_request(
        citizen=citizen,
        service=service,
        reason=reason,
        session=session,
        actor=actor,
        now=now,
        notes="walk-in",
    )
    ticket = QueueTicket.objects.create(
        session=session,
        number=_next_number(session),
        citizen=citizen,
        service=service,
        service_request=service_request,
        issued_at=now,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    ticket.service_requests.add(service_request)
    event_log(
        action=ScheduleEvent.Action.WALK_IN, session=session, at=now, actor=actor, note=f"#{ticket.number}"
    )
    return ticket


def _has_open_requests(ticket: QueueTicket) -> bool:
    return ticket.service_requests.filter(status__in=ServiceRequest.OPEN_STATUSES).exists()


def _close_visit(ticket: QueueTicket, *, to: str, actor, now: dt.datetime) -> None:
    ticket.status = to
    ticket.closed_at = now
    ticket.save(update_fields=["status", "closed_at"])
    action = (
        ScheduleEvent.Action.QUEUE_NO_SHOW
        if to == QueueTicket.Status.NO_SHOW
        else ScheduleEvent.Action.VISIT_CLOSED
    )
    event_log(
        action=action,
        session=ticket.session,
        at=now,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=f"#{ticket.number}",
    )


@transaction.atomic
def visit_close_if_done(
    *, service_request: ServiceRequest, actor=None, now: dt.datetime | None = None
) -> list[QueueTicket]:
    """Close every open visit owning `service_request` that has no open request left (done).
    Called in the transaction that closed the request; returns the visits it closed."""
    now = now or timezone.now()
    closed = []
    visit_ids = list(
        QueueTicket.objects.filter(
            service_requests=service_request, status__in=QueueTicket.OPEN_STATUSES
        ).values_list("pk", flat=True)
    )
    for visit_id in visit_ids:
        ticket = QueueTicket.objects.select_for_update().select_related("session").get(pk=visit_id)
        if ticket.status in QueueTicket.OPEN_STATUSES and not _has_open_requests(ticket):
            _close_visit(ticket, to=QueueTicket.Status.DONE, actor=actor, now=now)
            closed.append(ticket)
    return closed


def _lock_queue(session: OutreachSession) -> OutreachSession:
    """THE GUARD of "call next": the session row lock serialises desks calling at the same moment."""
    return OutreachSession.objects.select_for_update().get(pk=session.pk)


def _next_waiting(session: OutreachSession) -> QueueTicket | None:
    """The waiting visit to call: fewest calls first, then the lowest number."""
    return (
        QueueTicket.objects.filter(session=session, status=QueueTicket.Status.WAITING)
        .order_by("call_count", "number")
        .first()
    )


def _release_desk(session: OutreachSession, desk: int, *, actor, now: dt.datetime) -> None:
    """The desk moves on: its called visit is done, back in the queue, or a no-show (module doc)."""
    limit = settings.SCHEDULES_QUEUE_NO_SHOW_AFTER_CALLS
    for ticket in QueueTicket.objects.select_for_update().filter(
        session=session, desk=desk, status=QueueTicket.Status.CALLED
    ):
        if not _has_open_requests(ticket):
            _close_visit(ticket, to=QueueTicket.Status.DONE, actor=actor, now=now)
        elif ticket.call_count >= limit:
            _close_visit(ticket, to=QueueTicket.Status.NO_SHOW, actor=actor, now=now)
            reason = gettext("Did not answer %(count)s calls at the desk.") % {"count": ticket.call_count}
            for request in ticket.service_requests.filter(status__in=ServiceRequest.OPEN_STATUSES):
                service_request_cancel(
                    service_request=request,
                    actor=actor,
                    reason=reason,
                    venue_kecamatan=session.kecamatan_id,
                    now=now,
                )
        else:
            ticket.status = QueueTicket.Status.WAITING
            ticket.desk = None
            ticket.save(update_fields=["status", "desk"])


@transaction.atomic
def queue_call_next(
    *, session: OutreachSession, desk: int, actor, now: dt.datetime | None = None
) -> QueueTicket | None:
    """Call the next open waiting visit to `desk` (module doc: ONE TRUTH), after releasing the desk's
    previous one. A waiting visit with no open request left is closed, never called. None when
    nobody waits. Raises NotPermittedError, NotFoundError (WHO above)."""
    now = now or timezone.now()
    _check_desk(actor, session)
    session = _lock_queue(session)
    _release_desk(session, desk, actor=actor, now=now)
    while (ticket := _next_waiting(session)) is not None and not _has_open_requests(ticket):
        _close_visit(ticket, to=QueueTicket.Status.DONE, actor=actor, now=now)
    if ticket is None:
        return None
    ticket.status = QueueTicket.Status.CALLED
    ticket.desk = desk
    ticket.called_at = now
    ticket.call_count = F("call_count") + 1
    ticket.save(update_fields=["status", "desk", "called_at", "call_count"])
    ticket.refresh_from_db(fields=["call_count"])
    for request in ticket.service_requests.filter(status=ServiceRequest.Status.SUBMITTED).order_by("pk")[:1]:
        started = service_request_start(
            service_request=request, actor=actor, venue_kecamatan=session.kecamatan_id, now=now
        )
        if started.pk == ticket.service_request_id:
            ticket.service_request = started
    event_log(
        action=ScheduleEvent.Action.CALLED,
        session=session,
        at=now,
        actor=actor,
        note=f"#{ticket.number} → desk {desk}",
    )
    return ticket
