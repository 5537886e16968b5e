"""The registrations app's part of /api/v1/."""

from __future__ import annotations

from registrations.api.citizens import CitizenViewSet
from registrations.api.service_requests import ServiceRequestViewSet
from registrations.api.views import RegionViewSet

urlpatterns: list = []


def register(router) -> None:
    router.register("regions", RegionViewSet, basename="region")
    router.register("citizens", CitizenViewSet, basename="citizen")
    router.register("service-requests", ServiceRequestViewSet, basename="service-request")
