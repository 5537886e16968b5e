"""What an offline desk downloads before going out (issue 17): only what its session needs.

The session's active and checked-in bookings with the resident's name, NIK masked unless the role
may see it in full, and the eligibility for the booked service as of the session day; the queue
tickets already issued. An expiry time (settings.DESK_OFFLINE_MAX_AGE_HOURS) travels with the data:
the desk script deletes it then, when the session ends, and on logout.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from blanks.models import StockLocation
from registrations.services.service_requests import service_request_eligibility_error
from schedules.models import Appointment, OutreachSession, QueueTicket


def session_offline_data(
    *, session: OutreachSession, full_data: bool, now: dt.datetime | None = None
) -> dict:
    now = now or timezone.now()
    ends = session.ends_at
    expires = min(now + dt.timedelta(hours=settings.DESK_OFFLINE_MAX_AGE_HOURS), ends + dt.timedelta(hours=1))
    bookings = []
    appointments = (
        Appointment.objects.filter(
            slot__session=session, status__in=[Appointment.Status.ACTIVE, Appointment.Status.CHECKED_IN]
        )
        .select_related("citizen", "slot", "service_request")
        .order_by("slot__starts_at", "code")
    )
    for appointment in appointments:
        citizen = appointment.citizen
        error = service_request_eligibility_error(
            citizen=citizen, service=appointment.service, reason=appointment.reason, on=session.date
        )
        request = appointment.service_request
        bookings.append(
            {
                "code": appointment.code,
                "name": citizen.full_name,
                "nik": citizen.nik if full_data else citizen.masked_nik,
                "service": appointment.service,
                "service_label": str(appointment.get_service_display()),
                "reason": appointment.reason,
                "status": appointment.status,
                "starts_at": timezone.localtime(appointment.slot.starts_at).strftime("%H:%M"),
                "eligible": error is None,
                "eligibility_error": str(error.message) if error is not None else "",
                "service_request": request.pk if request is not None else None,
                "request_status": request.status if request is not None else "",
            }
        )
    tickets = [
        {"number": number, "service": service, "status": status, "service_request": request_id}
        for number, service, status, request_id in QueueTicket.objects.filter(session=session)
        .order_by("number")
        .values_list("number", "service", "status", "service_request_id")
    ]
    locations = [
        {"code": code, "name": name}
        for code, name in StockLocation.objects.filter(
            Q(kecamatan_id=session.kecamatan_id) | Q(kind=StockLocation.Kind.MOBILE_UNIT)
        )
        .order_by("code")
        .values_list("code", "name")
    ]
    return {
        "session": {
            "id": session.pk,
            "title": session.title,
            "date": session.date.isoformat(),
            "services": list(session.services),
            "ends_at": ends.isoformat(),
        },
        "downloaded_at": now.isoformat(),
        "expires_at": expires.isoformat(),
        "bookings": bookings,
        "tickets": tickets,
        "locations": locations,
    }
