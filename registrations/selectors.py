"""Reads of the registrations app, scoped by role in one place (pages and API both call these)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from registrations.access import scope_queryset
from registrations.models import Citizen, ServiceRequest, ServiceRequestEvent


def service_requests_visible_to(user) -> QuerySet[ServiceRequest]:
    """Requests of citizens in the user's kecamatan (all for admin/supervisor/viewer), with what a
    list or detail shows: citizen, desa, location, staff and the event log (no N+1)."""
    queryset = ServiceRequest.objects.select_related(
        "citizen__desa__kecamatan", "location", "served_by", "submitted_by"
    ).prefetch_related(
        Prefetch("events", queryset=ServiceRequestEvent.objects.select_related("actor").order_by("at", "id"))
    )
    return scope_queryset(queryset, user, "citizen__desa__kecamatan")


def citizen_by_nik_visible_to(user, nik: str) -> Citizen | None:
    """The citizen with this NIK if the user may see them, else None (out of scope looks the same)."""
    return (
        scope_queryset(Citizen.objects.select_related("desa"), user, "desa__kecamatan")
        .filter(nik=nik)
        .first()
    )
