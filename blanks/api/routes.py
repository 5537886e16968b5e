"""This app's part of /api/v1/: viewsets registered on the one router, plus any extra paths."""

from __future__ import annotations

from blanks.api.views import StockLocationViewSet, StockMovementViewSet

urlpatterns: list = []


def register(router) -> None:
    router.register("blanks/locations", StockLocationViewSet, basename="blank-location")
    router.register("blanks/movements", StockMovementViewSet, basename="blank-movement")
