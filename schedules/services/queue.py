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
closes it in the same transaction (`visit_advance`, run by registrations'
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

import copy
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from blanks.models import StockLocation
from core.access import DESK_STAFF, in_scope, require_in_scope, require_role
from registrations.exceptions import AlreadyOpenError, NotEligibleError
from registrations.models import Citizen, ServiceRequest
from registrations.services.service_requests import (
    MILESTONE_FIELD,
    service_request_cancel,
    service_request_complete,
    service_request_create,
    service_request_eligibility_error,
    service_request_start,
)
from schedules.codes import normalize_code
from schedules.exceptions import (
    IllegalTransitionError,
    NothingToServeError,
    ServiceNotOfferedError,
    SessionCancelledError,
    VisitClosedError,
    VisitStepError,
    WrongSessionDayError,
)
from schedules.models import Appointment, OutreachSession, QueueTicket, ScheduleEvent, Service
from schedules.services.appointments import _lock_with_slots, _release_place
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
    """A new request for the citizen, or the one already open for this service. A printing is served
    from the session's own stock location."""
    try:
        return service_request_create(
            citizen=citizen,
            service=service,
            reason=reason,
            channel=CHANNEL_OF_KIND[session.kind],
            actor=actor,
            location=session.stock_location if service == Service.PRINTING else None,
            venue_kecamatan=session.kecamatan_id,
            notes=notes,
            now=now,
        )
    except AlreadyOpenError:
        return ServiceRequest.objects.get(
            citizen=citizen, service=service, status__in=ServiceRequest.OPEN_STATUSES
        )


SERVICE_ORDER = (Service.RECORDING, Service.PRINTING, Service.IKD_ACTIVATION)


def visit_services_plan(
    *, session: OutreachSession, citizen: Citizen, reason: str, on: dt.date, assume_done: str | None = None
) -> list[str]:
    """Every service `session` offers that `citizen` may have on `on`, in the order recording →
    printing → IKD, each judged as if the ones before it were done (a first-time voter: all three).
    `assume_done`: a service judged as done already (a booked one, served first; not in the plan)."""
    assumed = copy.copy(citizen)
    on_the_day = dt.datetime.combine(on, dt.time(), tzinfo=dt.UTC)
    if assume_done is not None:
        setattr(assumed, MILESTONE_FIELD[assume_done], on_the_day)
    plan = []
    for service in SERVICE_ORDER:
        if service == assume_done:
            continue
        if session.offers(service) and not service_request_eligibility_error(
            citizen=assumed, service=service, reason=reason, on=on
        ):
            plan.append(service)
            setattr(assumed, MILESTONE_FIELD[service], on_the_day)
    return plan


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
    # The booked service first (its own reason), then every other service needed today, as new.
    others = visit_services_plan(
        session=locked_session,
        citizen=appointment.citizen,
        reason=ServiceRequest.Reason.NEW,
        on=timezone.localdate(now),
        assume_done=appointment.service,
    )
    plan = [(appointment.service, appointment.reason)] + [(s, ServiceRequest.Reason.NEW) for s in others]
    appointment.checked_in_at = now
    ticket = _open_visit(
        session=locked_session,
        citizen=appointment.citizen,
        plan=plan,
        actor=actor,
        now=now,
        notes=f"booking {appointment.code}",
        appointment=appointment,
    )
    appointment_transition(
        appointment,
        to=Appointment.Status.CHECKED_IN,
        action=ScheduleEvent.Action.CHECKED_IN,
        at=now,
        actor=actor,
    )
    return ticket


def _open_visit(
    *,
    session: OutreachSession,
    citizen: Citizen,
    plan: list[tuple[str, str]],
    actor,
    now: dt.datetime,
    notes: str,
    appointment: Appointment | None = None,
) -> QueueTicket:
    """ONE visit for `plan` ((service, reason), in order) of a citizen whose identity was checked:
    the first request opens now (the service-request rules judge eligibility on the day), the
    others are planned and open one after another (visit_advance); a service the citizen may not
    have is skipped, and when none may be opened the first refusal (NotEligibleError) is raised.
    `session` is locked by the caller. A booking is linked to the request of its service."""
    refused = None
    for index, (first_service, first_reason) in enumerate(plan):
        try:
            service_request = _open_service_request(
                citizen=citizen,
                service=first_service,
                reason=first_reason,
                session=session,
                actor=actor,
                now=now,
                notes=notes,
            )
        except NotEligibleError as error:  # skipped, like a planned service (visit_advance)
            if appointment is not None:
                raise  # the booked service itself: check-in refused, as before
            refused = refused or error
            continue
        plan = plan[index:]
        break
    else:
        raise refused
    if appointment is not None and not Appointment.objects.filter(service_request=service_request).exists():
        appointment.service_request = service_request  # one request, one booking (OneToOne)
        appointment.save(update_fields=["service_request"])
    ticket = QueueTicket.objects.create(
        session=session,
        number=_next_number(session),
        appointment=appointment,
        citizen=citizen,
        service=first_service,
        service_request=service_request,
        planned_services=[
            service if reason == first_reason else [service, reason] for service, reason in plan[1:]
        ],
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
    service: str | None = None,
    reason: str = "new",
    services: list[tuple[str, str]] | None = None,
    actor,
    now: dt.datetime | None = None,
) -> QueueTicket:
    """Give a citizen without a booking ONE queue number of today's session (identity checked once
    by the caller, e.g. `citizen_verify`) for `service`, or, when `service` is None, for every
    service the session offers that the citizen may have today (`visit_services_plan`: recording →
    printing → IKD, skipping what is done). `services`: the services chosen by the desk, each with
    its reason (the offline desk), served in that order. The first request opens now, each next one
    when the one before closes. Raises WrongSessionDayError, SessionCancelledError,
    ServiceNotOfferedError, NotEligibleError, NothingToServeError, NotPermittedError, NotFoundError
    (WHO above)."""
    now = now or timezone.now()
    _check_desk(actor, session)
    session = OutreachSession.objects.select_for_update().get(pk=session.pk)
    _check_session_day(session, now)
    if services is not None:
        chosen = dict(services)  # one request per service
        plan = [(s, chosen[s]) for s in SERVICE_ORDER if s in chosen]
        if not plan or len(plan) != len(chosen):
            raise ServiceNotOfferedError()
    elif service is not None:
        plan = [(service, reason)]
    else:
        on = timezone.localdate(now)
        needed = visit_services_plan(session=session, citizen=citizen, reason=reason, on=on)
        if not needed:
            raise NothingToServeError()
        plan = [(s, reason) for s in needed]
    if any(not session.offers(s) for s, _reason in plan):
        raise ServiceNotOfferedError()
    ticket = _open_visit(session=session, citizen=citizen, plan=plan, actor=actor, now=now, notes="walk-in")
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
def visit_advance(
    *, service_request: ServiceRequest, actor=None, now: dt.datetime | None = None
) -> list[QueueTicket]:
    """Every open visit owning `service_request` that has no open request left opens its next
    planned service, or closes (done) when none is left. Called in the transaction that closed the
    request; returns the visits it closed."""
    now = now or timezone.now()
    closed = []
    visit_ids = list(
        QueueTicket.objects.filter(
            service_requests=service_request, status__in=QueueTicket.OPEN_STATUSES
        ).values_list("pk", flat=True)
    )
    for visit_id in visit_ids:
        ticket = QueueTicket.objects.select_for_update().select_related("session").get(pk=visit_id)
        if ticket.status not in QueueTicket.OPEN_STATUSES or _has_open_requests(ticket):
            continue
        if _open_next_planned(ticket, actor=actor, now=now) is None:
            _close_visit(ticket, to=QueueTicket.Status.DONE, actor=actor, now=now)
            closed.append(ticket)
    return closed


def _open_next_planned(ticket: QueueTicket, *, actor, now: dt.datetime) -> ServiceRequest | None:
    """Open the visit's next planned service the citizen may have now (skipping the others); it is
    started at once when the visit is at a desk. None when nothing is left."""
    opened = None
    default_reason = ticket.service_request.reason if ticket.service_request else ServiceRequest.Reason.NEW
    while ticket.planned_services and opened is None:
        entry = ticket.planned_services.pop(0)
        service, reason = (entry, default_reason) if isinstance(entry, str) else (entry[0], entry[1])
        try:
            opened = _open_service_request(
                citizen=Citizen.objects.get(pk=ticket.citizen_id),
                service=service,
                reason=reason,
                session=ticket.session,
                actor=actor,
                now=now,
                notes=f"visit #{ticket.number}",
            )
        except NotEligibleError:
            continue
    ticket.save(update_fields=["planned_services"])
    if opened is None:
        return None
    ticket.service_requests.add(opened)
    if ticket.status == QueueTicket.Status.CALLED and opened.status == ServiceRequest.Status.SUBMITTED:
        opened = service_request_start(
            service_request=opened, actor=actor, venue_kecamatan=ticket.session.kecamatan_id, now=now
        )
    return opened


@transaction.atomic
def visit_complete_current(
    *,
    ticket: QueueTicket,
    actor,
    now: dt.datetime | None = None,
    location: StockLocation | None = None,
    expected: ServiceRequest | None = None,
) -> ServiceRequest:
    """The desk's one action per service: complete the visit's open request (starting it first if
    needed; a printing draws from the session's stock location). The next planned service opens, or
    the visit closes, in the same transaction. Raises VisitClosedError when nothing is open, the
    errors of service_request_complete (OutOfStockError, LocationRequiredError…), NotPermittedError,
    NotFoundError (WHO above). `location`: where a printing's blank comes from, when not the
    session's. `expected`: the request the desk meant (the offline desk): when the visit's open
    request is another one, VisitStepError and nothing is written."""
    now = now or timezone.now()
    _check_desk(actor, ticket.session)
    ticket = QueueTicket.objects.select_for_update().select_related("session").get(pk=ticket.pk)
    request = ticket.service_requests.filter(status__in=ServiceRequest.OPEN_STATUSES).order_by("pk").first()
    if ticket.status not in QueueTicket.OPEN_STATUSES or request is None:
        raise VisitClosedError()
    if expected is not None and expected.pk != request.pk:
        raise VisitStepError(
            gettext("Number %(number)s is at another service now: %(current)s comes first.")
            % {"number": ticket, "current": request.get_service_display()}
        )
    session = ticket.session
    if request.status == ServiceRequest.Status.SUBMITTED:
        request = service_request_start(
            service_request=request, actor=actor, venue_kecamatan=session.kecamatan_id, now=now
        )
    if request.service != Service.PRINTING or request.location_id is not None:
        location = None
    elif location is None:
        location = session.stock_location
    return service_request_complete(
        service_request=request,
        actor=actor,
        location=location,
        venue_kecamatan=session.kecamatan_id,
        now=now,
    )


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


@transaction.atomic
def appointment_serve_here(
    *, code: str, session: OutreachSession, actor, now: dt.datetime | None = None
) -> QueueTicket:
    """A citizen came with a booking of ANOTHER session (another day or site): serve them at
    `session` instead. In one transaction: the booking is cancelled as served elsewhere (its place
    there freed, logged on that session) and the citizen gets a visit here for every service needed
    today (as a walk-in, logged on this session with the booking code). Desk staff of `session`
    (WHO above); the booking's own session may be of another kecamatan (the citizen brings the code).
    Raises Appointment.DoesNotExist (unknown code), IllegalTransitionError (not an active booking,
    or a booking of this very session: check it in instead), and what walk_in_register raises."""
    now = now or timezone.now()
    _check_desk(actor, session)
    normalized = normalize_code(code)
    appointment = Appointment.objects.filter(code=normalized or "").first()
    if appointment is None:
        raise Appointment.DoesNotExist
    # LOCK ORDER: this session first (walk_in_register relocks it), then the booking's slot and row.
    OutreachSession.objects.select_for_update().get(pk=session.pk)
    appointment = _lock_with_slots(appointment)
    booked_session = appointment.slot.session
    if appointment.status != Appointment.Status.ACTIVE or booked_session.pk == session.pk:
        raise IllegalTransitionError()
    ticket = walk_in_register(
        session=session,
        citizen=appointment.citizen,
        service=None,
        reason=appointment.reason,
        actor=actor,
        now=now,
    )
    appointment.cancelled_at = now
    appointment.cancel_reason = Appointment.CancelReason.SERVED_ELSEWHERE
    appointment_transition(
        appointment,
        to=Appointment.Status.CANCELLED,
        action=ScheduleEvent.Action.CANCELLED,
        at=now,
        actor=actor,
        note=f"served at session {session.pk} as #{ticket.number}",
    )
    _release_place(appointment.slot_id)
    event_log(
        action=ScheduleEvent.Action.SERVED_HERE,
        session=session,
        at=now,
        actor=actor,
        appointment=appointment,
        note=f"booking {appointment.code} of session {booked_session.pk} → #{ticket.number}",
    )
    return ticket
