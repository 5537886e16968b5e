"""What registrations holds about one resident, for their data export (UU 27/2022 Art. 7): the
registry record, and their service requests with every event of each."""

from __future__ import annotations

from core.subject_access import plain, row_of
from registrations.models import Citizen


def citizen_record_data(citizen: Citizen) -> dict:
    record = row_of(citizen)
    desa = citizen.desa
    record["desa_name"] = desa.name
    record["kecamatan"] = desa.kecamatan_id
    record["kecamatan_name"] = desa.kecamatan.name
    return record


def citizen_requests_data(citizen: Citizen) -> list[dict]:
    requests = citizen.service_requests.select_related("submitted_by", "served_by").order_by(
        "submitted_at", "id"
    )
    data = []
    for service_request in requests.prefetch_related("events__actor"):
        row = row_of(service_request, exclude=("citizen",))
        for staff in ("submitted_by", "served_by"):  # who, by username (not an internal id)
            user = getattr(service_request, staff)
            row[staff] = user.get_username() if user else None
        row["events"] = [
            {
                "at": plain(event.at),
                "from_status": event.from_status,
                "to_status": event.to_status,
                "by": event.actor.get_username() if event.actor else None,
                "reason": event.reason,
                "detail": event.detail,
            }
            for event in sorted(service_request.events.all(), key=lambda event: (event.at, event.pk))
        ]
        data.append(row)
    return data
