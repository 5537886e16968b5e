"""Everything under /api/v1/: one router, each app registering its viewsets on it."""

from __future__ import annotations

from django.urls import path

from blanks.api import routes as blanks_routes
from core.api.auth import TokenRevokeView, TokenView
from core.api.routers import router
from registrations.api import routes as registrations_routes
from schedules.api import routes as schedules_routes

_apps = (registrations_routes, schedules_routes, blanks_routes)
for _app in _apps:
    _app.register(router)

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="api-token-revoke"),
    *(pattern for _app in _apps for pattern in _app.urlpatterns),
    *router.urls,
]
