"""This app's part of /api/v1/: viewsets registered on the one router, plus any extra paths."""

from __future__ import annotations

urlpatterns: list = []


def register(router) -> None:
    pass
