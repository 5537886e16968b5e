"""This app's part of /api/v1/: viewsets registered on the one router, plus any extra paths."""

from __future__ import annotations

from schedules.api.views import AppointmentViewSet, SeriesViewSet, SessionViewSet

urlpatterns: list = []


def register(router) -> None:
    router.register("sessions", SessionViewSet, basename="session")
    router.register("series", SeriesViewSet, basename="series")
    router.register("appointments", AppointmentViewSet, basename="appointment")
