"""The data-access right (UU 27/2022 Art. 7): everything the portal holds about one resident as one
JSON document, for a supervisor or an admin, in their scope, written to the access log.

Composed here because schedules is the top domain layer, the one that sees bookings and visits as
well as the registry (registrations.subject_access) and the access log (core.subject_access)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.access import MANAGERS, require_role
from core.audit import audit_record
from core.exceptions import NotFoundError, NotPermittedError
from core.models import AuditEvent
from core.subject_access import audit_entries_about, plain, row_of
from registrations.selectors import can_see_full_personal_data, citizens_visible_to
from registrations.services.identity import identity_audit_target
from registrations.subject_access import citizen_record_data, citizen_requests_data
from schedules.models import Appointment, QueueTicket

EXPORT_ACTION = "citizen data export"


def _bookings_data(citizen) -> list[dict]:
    appointments = (
        Appointment.objects.filter(citizen=citizen)
        .select_related("slot__session", "booked_by")
        .prefetch_related("events__actor")
        .order_by("created_at", "id")
    )
    data = []
    for appointment in appointments:
        slot, session = appointment.slot, appointment.slot.session
        # The manage token's hash is a credential, not data about the resident.
        row = row_of(appointment, exclude=("manage_token_hash", "citizen", "slot"))
        row["booked_by"] = appointment.booked_by.get_username() if appointment.booked_by else None
        row["session"] = {
            "title": session.title,
            "date": plain(session.date),
            "venue": session.venue_name,
            "venue_address": session.venue_address,
            "kecamatan": session.kecamatan_id,
        }
        row["starts_at"], row["ends_at"] = plain(slot.starts_at), plain(slot.ends_at)
        row["events"] = [
            {
                "at": plain(event.at),
                "action": event.action,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "by": event.actor.get_username() if event.actor else None,
                "note": event.note,
            }
            for event in sorted(appointment.events.all(), key=lambda event: (event.at, event.pk))
        ]
        data.append(row)
    return data


def _visits_data(citizen) -> list[dict]:
    tickets = (
        QueueTicket.objects.filter(citizen=citizen)
        .select_related("session", "appointment")
        .prefetch_related("service_requests")
        .order_by("issued_at", "id")
    )
    data = []
    for ticket in tickets:
        row = row_of(ticket, exclude=("citizen", "issued_by", "appointment", "session"))
        row["session"] = ticket.session.title
        row["session_date"] = plain(ticket.session.date)
        row["booking_code"] = ticket.appointment.code if ticket.appointment_id else None
        row["service_requests"] = sorted(request.pk for request in ticket.service_requests.all())
        data.append(row)
    return data


def _contacts_given(citizen, bookings: list[dict]) -> list[dict]:
    contacts = []
    if citizen.phone or citizen.email:
        contacts.append({"given_with": "registry", "phone": citizen.phone, "email": citizen.email})
    for booking in bookings:
        if booking["phone"] or booking["email"]:
            given = f"booking {booking['code']}"
            contacts.append({"given_with": given, "phone": booking["phone"], "email": booking["email"]})
    return contacts


@transaction.atomic
def citizen_data_export(*, actor, citizen_id: int, reason: str = "", request=None) -> dict:
    """Everything held about the resident `citizen_id`: the registry record, service requests and
    their events, bookings and their events, visits (queue tickets), the contacts given, and the
    access-log entries about them (this export included). Admins and supervisors only (roles that
    see personal data in full), within their scope; recorded in the access log as an export."""
    require_role(actor, MANAGERS)
    if not can_see_full_personal_data(actor):
        raise NotPermittedError()
    citizen = citizens_visible_to(actor).filter(pk=citizen_id).first()
    if citizen is None:
        raise NotFoundError()
    audit_record(
        actor=actor,
        kind=AuditEvent.Kind.EXPORT,
        action=EXPORT_ACTION,
        target=f"citizen {citizen.pk}",
        reason=reason,
        request=request,
    )
    requests = citizen_requests_data(citizen)
    bookings = _bookings_data(citizen)
    return {
        "export": {
            "generated_at": plain(timezone.now()),
            "controller": "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Kudus",
            "controller_contact": settings.PRIVACY_CONTROLLER_CONTACT,
            "legal_basis": "UU 27/2022 Pasal 7",
            "by": actor.get_username(),
            "reason": reason,
        },
        "resident": citizen_record_data(citizen),
        "service_requests": requests,
        "bookings": bookings,
        "visits": _visits_data(citizen),
        "contacts_given": _contacts_given(citizen, bookings),
        "access_log": audit_entries_about(
            citizen_id=citizen.pk,
            request_ids=[row["id"] for row in requests],
            extra_targets=[identity_audit_target(citizen.nik)],
        ),
    }
