"""The registrations app's part of /api/v1/."""

from __future__ import annotations

from django.urls import path

from registrations.api import coverage
from registrations.api.citizens import CitizenViewSet
from registrations.api.service_requests import ServiceRequestViewSet
from registrations.api.views import RegionViewSet

urlpatterns: list = [
    path("coverage/", coverage.CoverageView.as_view(), name="coverage"),
    path("coverage/history/", coverage.CoverageHistoryView.as_view(), name="coverage-history"),
    path("coverage/projection/", coverage.CoverageProjectionView.as_view(), name="coverage-projection"),
    path("coverage/recompute/", coverage.CoverageRecomputeView.as_view(), name="coverage-recompute"),
    path("coverage/targets/", coverage.CoverageTargetsView.as_view(), name="coverage-targets"),
    path("coverage/targets/export/", coverage.CoverageExportView.as_view(), name="coverage-targets-export"),
]


def register(router) -> None:
    router.register("regions", RegionViewSet, basename="region")
    router.register("citizens", CitizenViewSet, basename="citizen")
    router.register("service-requests", ServiceRequestViewSet, basename="service-request")
