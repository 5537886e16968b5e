"""The check-in desk of a session: scan a booking code, check in, walk-ins, call the next number."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from core.access import DESK_STAFF
from core.audit import audit_record
from core.exceptions import ApplicationError
from core.models import AuditEvent
from dashboard.access import roles_required
from dashboard.forms import CallNextForm, CompleteForm, FindResidentForm, ScanForm, StartForm, WalkInForm
from dashboard.views.service_requests import run_action
from dashboard.views.sessions import session_get
from registrations.selectors import can_see_full_personal_data, resident_living, residents_find
from registrations.services.service_requests import service_request_eligibility_error
from schedules import selectors, services
from schedules.codes import normalize_code, walk_in_qr_parse, walk_in_qr_text
from schedules.exceptions import IdentityMismatchError
from schedules.models import Appointment, OutreachSession, QueueTicket, Service

QUEUE_ROWS = 40
# Staff text (never the citizen text of IdentityMismatchError): what to do next.
MSG_RESIDENT_UNKNOWN = _lazy(
    "No living resident of Kudus matches. Next step: check the family card (KK) with the resident and "
    "search by name and birth date; if there is still no match, the resident must first register (or "
    "update their data) at the Disdukcapil office. The desk cannot serve them today."
)


def booking_get(user, code: str) -> Appointment:
    appointment = selectors.appointment_for_staff(user, code)
    if appointment is None:
        raise Http404
    return appointment


def _reveal(request, appointment: Appointment, action: str) -> bool:
    """Whether the full NIK is shown; showing it is a reveal of personal data, so it is audited."""
    full_data = can_see_full_personal_data(request.user)
    if full_data:
        audit_record(
            actor=request.user,
            kind=AuditEvent.Kind.REVEAL,
            action=action,
            target=f"citizen {appointment.citizen_id}",
            request=request,
        )
    return full_data


@roles_required(DESK_STAFF)
def booking_detail(request, code: str):
    appointment = booking_get(request.user, code)
    return render(
        request,
        "dashboard/sessions/booking.html",
        {
            "nav": "sessions",
            "appointment": appointment,
            "session": appointment.slot.session,
            "events": selectors.appointment_history(appointment),
            "full_data": _reveal(request, appointment, "booking detail"),
            "eligibility_error": _eligibility_error(appointment),
            "today": timezone.localdate(),
        },
    )


def _eligibility_error(appointment: Appointment):
    """The service-request rule that would refuse this citizen today, or None."""
    return service_request_eligibility_error(
        citizen=appointment.citizen,
        service=appointment.service,
        reason=appointment.reason,
        on=timezone.localdate(),
    )


def _check_in_url(
    session: OutreachSession, code: str | None = None, issued: QueueTicket | None = None
) -> str:
    """The desk page; with `issued`, it offers to print that ticket."""
    url = reverse("dashboard:check-in", args=[session.pk])
    query = {key: value for key, value in (("code", code), ("issued", issued and issued.pk)) if value}
    return f"{url}?{urlencode(query)}" if query else url


def _issued_ticket(request, session: OutreachSession) -> QueueTicket | None:
    raw = request.GET.get("issued", "")
    if not raw.isdigit() or len(raw) > 12:
        return None
    return selectors.session_ticket(session, int(raw))


@roles_required(DESK_STAFF)
def check_in(request, pk: int):
    """GET: the desk screen (with ?code=… the booking looked up); POST: check the booking in."""
    session = session_get(request.user, pk)
    if request.method == "POST":
        return _check_in_post(request, session)
    lookup = None
    if request.GET.get("code"):
        lookup = _lookup(request, session, request.GET["code"])
    find_form = FindResidentForm(
        request.GET if "find-name" in request.GET or "find-nik" in request.GET else None, prefix="find"
    )
    found = _find_residents(request, find_form)
    tickets = selectors.session_tickets_latest(session, QUEUE_ROWS)
    return render(
        request,
        "dashboard/sessions/check_in.html",
        {
            "nav": "sessions",
            "session": session,
            "is_today": session.date == timezone.localdate(),
            "scan_form": ScanForm(),
            "lookup": lookup,
            "walk_in_form": WalkInForm(prefix="walkin", session=session),
            "call_form": CallNextForm(prefix="call"),
            "queue": selectors.session_queue(session),
            "tickets": tickets,
            "at_the_desks": _at_the_desks(session),
            "find_form": find_form,
            "found": found,
            "full_data": can_see_full_personal_data(request.user),
            "issued": _issued_ticket(request, session),
        },
    )


def _find_residents(request, form: FindResidentForm) -> dict | None:
    """Residents matching the desk's search (None before a search); full NIKs only for roles that
    see them, and then the reveal is audited."""
    if not form.is_bound or not form.is_valid():
        return None
    data = form.cleaned_data
    residents = residents_find(
        nik=data["nik"], name=data["name"], birth_date=data["birth_date"], desa=data["desa"]
    )
    full_data = can_see_full_personal_data(request.user)
    if full_data and residents:
        audit_record(
            actor=request.user,
            kind=AuditEvent.Kind.REVEAL,
            action="desk resident search",
            target=", ".join(f"citizen {c.pk}" for c in residents),
            request=request,
        )
    return {"residents": residents, "full_data": full_data, "unknown": MSG_RESIDENT_UNKNOWN}


@roles_required(DESK_STAFF)
@require_POST
def walk_in_resident(request, pk: int, citizen_id: int):
    """A resident found by the desk's search gets a number for every service needed today."""
    session = session_get(request.user, pk)
    citizen = resident_living(citizen_id)
    if citizen is None:
        raise Http404
    return _register_walk_in(request, session, citizen=citizen, service=None, reason="new")


def _register_walk_in(request, session, *, citizen, service, reason):
    try:
        ticket = services.walk_in_register(
            session=session, citizen=citizen, service=service, reason=reason, actor=request.user
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(_check_in_url(session))
    messages.success(
        request,
        _("Walk-in registered: queue number %(number)s, request #%(request)s.")
        % {"number": ticket, "request": ticket.service_request_id},
    )
    if ticket.planned_services:
        messages.info(
            request, _("Services of this visit: %(services)s.") % {"services": _visit_services(ticket)}
        )
    return redirect(_check_in_url(session, issued=ticket))


def _lookup(request, session: OutreachSession, raw: str) -> dict:
    # A walk-in ticket's QR first; a booking code that happens to read like one still works.
    walk_in = walk_in_qr_parse(raw)
    if walk_in is not None and (found := _lookup_walk_in(session, raw, *walk_in)) is not None:
        return found
    code = normalize_code(raw)
    appointment = selectors.appointment_for_staff(request.user, code) if code else None
    if appointment is None or appointment.slot.session_id != session.pk:
        elsewhere = selectors.appointment_booked_elsewhere(code, session) if code else None
        if elsewhere is not None:
            # The citizen shows the code here: the desk sees the name and where it was booked, no NIK.
            return {"code": elsewhere.code, "elsewhere": elsewhere, "booked_session": elsewhere.slot.session}
        if walk_in is not None:
            return {"code": raw, "error": _("No ticket with this number at this session.")}
        return {"code": raw, "error": _("No booking with this code at this session.")}
    service_request = appointment.service_request
    return {
        "code": appointment.code,
        "appointment": appointment,
        "full_data": _reveal(request, appointment, "check-in lookup"),
        "eligibility_error": _eligibility_error(appointment) if appointment.is_active else None,
        "sr": service_request,
        "start_form": _desk_form(StartForm, request.user, service_request, "submitted"),
        "complete_form": _desk_form(CompleteForm, request.user, service_request, "in_progress"),
    }


def _desk_form(form_class, user, service_request, status: str):
    if service_request is None or service_request.status != status:
        return None
    return form_class(user=user, service_request=service_request)


def _check_in_post(request, session: OutreachSession):
    raw = request.POST.get("code", "")
    code = normalize_code(raw)
    # Only bookings the user may see, and only of this session (the service re-checks the session).
    if code is None or selectors.appointment_for_staff(request.user, code) is None:
        messages.error(request, _("No booking with this code at this session."))
        return redirect(_check_in_url(session, raw[:64]))
    try:
        ticket = services.appointment_check_in(code=code, actor=request.user, session=session)
    except Appointment.DoesNotExist:
        messages.error(request, _("No booking with this code at this session."))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Checked in: queue number %(number)s.") % {"number": ticket})
        if ticket.planned_services:
            messages.info(
                request, _("Services of this visit: %(services)s.") % {"services": _visit_services(ticket)}
            )
        return redirect(_check_in_url(session, code, issued=ticket))
    return redirect(_check_in_url(session, code))


@roles_required(DESK_STAFF)
@require_POST
def check_in_action(request, pk: int, code: str, action: str):
    """Start or complete the request of a booking checked in at this session. Scoped by the session
    (like the queue's call-next): desk staff serve whoever comes to their session."""
    if action not in ("start", "complete"):
        raise Http404
    session = session_get(request.user, pk)
    appointment = booking_get(request.user, code)
    if appointment.slot.session_id != session.pk or appointment.service_request is None:
        raise Http404
    run_action(request, appointment.service_request, action, venue_kecamatan=session.kecamatan_id)
    return redirect(_check_in_url(session, appointment.code))


@roles_required(DESK_STAFF)
@require_POST
def serve_here(request, pk: int, code: str):
    """A booking of another day or site: serve it at this session, releasing its place there."""
    session = session_get(request.user, pk)
    try:
        ticket = services.appointment_serve_here(code=code, session=session, actor=request.user)
    except Appointment.DoesNotExist:
        messages.error(request, _("No booking with this code at this session."))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Booking %(code)s served here as number %(number)s; its place at the other session is free.")
            % {"code": normalize_code(code) or "", "number": ticket},
        )
        return redirect(_check_in_url(session, issued=ticket))
    return redirect(_check_in_url(session))


@roles_required(DESK_STAFF)
@require_POST
def walk_in(request, pk: int):
    session = session_get(request.user, pk)
    form = WalkInForm(request.POST, prefix="walkin", session=session)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_check_in_url(session))
    data = form.cleaned_data
    try:
        citizen = services.citizen_verify(nik=data["nik"], birth_date=data["birth_date"])
    except IdentityMismatchError:
        messages.error(request, MSG_RESIDENT_UNKNOWN)
        return redirect(_check_in_url(session))
    return _register_walk_in(
        request, session, citizen=citizen, service=data["service"] or None, reason=data["reason"]
    )


def _visit_services(ticket: QueueTicket) -> str:
    labels = dict(Service.choices)
    return " → ".join(str(labels[s]) for s in [ticket.service, *ticket.planned_service_names])


def _at_the_desks(session: OutreachSession) -> list[dict]:
    """The visits being served now, each with the request the desk completes next."""
    labels = dict(Service.choices)
    return [
        {"ticket": ticket, "current": current, "next": [labels[s] for s in ticket.planned_service_names]}
        for ticket, current in selectors.session_visits_at_desks(session)
    ]


def _lookup_walk_in(session: OutreachSession, raw: str, session_id: int, number: int) -> dict | None:
    """A walk-in's ticket scanned at the desk: where the visit stands (status, desk, services)."""
    ticket = selectors.session_ticket_by_number(session, number) if session_id == session.pk else None
    if ticket is None:
        return None
    return {"code": raw, "ticket": ticket, "ticket_services": selectors.visit_service_labels(ticket)}


def ticket_qr_text(ticket: QueueTicket) -> str:
    """What the ticket's QR holds: the booking code (the desk's scanner looks it up), or for a
    walk-in the session and number ("S12-007")."""
    if ticket.appointment_id is not None:
        return ticket.appointment.code
    return walk_in_qr_text(ticket.session_id, ticket.number)


@roles_required(DESK_STAFF)
def visit_ticket(request, pk: int, ticket_id: int):
    """The printed queue ticket (58 mm thermal printer): number, services, session, time and a
    regular QR. No name or NIK: a ticket is left on tables. The desk's print button opens it with
    ?print=1 and static/js/ticket-print.js prints it at once."""
    session = session_get(request.user, pk)
    ticket = selectors.session_ticket(session, ticket_id)
    if ticket is None:
        raise Http404
    qr_text = ticket_qr_text(ticket)
    return render(
        request,
        "dashboard/sessions/ticket.html",
        {
            "session": session,
            "ticket": ticket,
            "services": selectors.visit_service_labels(ticket),
            "issued_at": timezone.localtime(ticket.issued_at),
            "qr_text": qr_text,
            # A regular QR, never a Micro QR (segno's pick for a short text): scanners read it.
            "qr_data_uri": segno.make(qr_text, error="m", micro=False).svg_data_uri(scale=4, border=2),
        },
    )


@roles_required(DESK_STAFF)
@require_POST
def visit_complete(request, pk: int, ticket_id: int):
    """The desk's one action per service: complete what the visit is being served for now."""
    session = session_get(request.user, pk)
    ticket = selectors.session_ticket(session, ticket_id)
    if ticket is None:
        raise Http404
    try:
        completed = services.visit_complete_current(ticket=ticket, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Number %(number)s: %(service)s completed.")
            % {"number": ticket, "service": completed.get_service_display()},
        )
    return redirect(_check_in_url(session))


@roles_required(DESK_STAFF)
@require_POST
def call_next(request, pk: int):
    session = session_get(request.user, pk)
    form = CallNextForm(request.POST, prefix="call")
    if not form.is_valid():
        messages.error(request, _("Choose a desk number between 1 and 50."))
        return redirect(_check_in_url(session))
    try:
        ticket = services.queue_call_next(session=session, desk=form.cleaned_data["desk"], actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(_check_in_url(session))
    if ticket is None:
        messages.info(request, _("Nobody is waiting in the queue."))
    else:
        messages.success(
            request,
            _("Number %(number)s called to desk %(desk)s: %(name)s.")
            % {"number": ticket, "desk": ticket.desk, "name": ticket.citizen.full_name},
        )
    return redirect(_check_in_url(session))
