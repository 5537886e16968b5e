from __future__ import annotations

from django.urls import path, re_path

from dashboard.views import pages as views
from dashboard.views import service_requests as requests
from dashboard.views import sessions, stock

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("coverage/recompute/", views.coverage_recompute_request, name="coverage_recompute"),
    path("targets/", views.targets, name="targets"),
    path("targets/export/", views.targets_export, name="targets_export"),
    path("citizens/", views.citizen_list, name="citizens"),
    path("citizens/export/", views.citizens_export, name="citizens_export"),
    path("citizens/<int:pk>/", views.citizen_detail, name="citizen"),
    path("report/daily/", views.report_daily, name="report_daily"),
    path("audit/", views.audit_log, name="audit"),
    path("staff/", views.staff_list, name="staff"),
    # Service requests: the work queue.
    path("requests/", requests.request_list, name="requests"),
    path("requests/<int:pk>/", requests.request_detail, name="request"),
    re_path(
        r"^requests/(?P<pk>[0-9]+)/(?P<action>start|complete|cancel|reject)/$",
        requests.request_action,
        name="request-action",
    ),
    # Sessions, bookings and the check-in desk.
    path("sessions/", sessions.session_list, name="sessions"),
    path("sessions/new/", sessions.session_new, name="session-new"),
    path("sessions/series/new/", sessions.series_new, name="series-new"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session"),
    path("sessions/<int:pk>/cancel/", sessions.session_cancel, name="session-cancel"),
    path("sessions/<int:pk>/slots/<int:slot_id>/remove/", sessions.slot_remove, name="slot-remove"),
    path("sessions/<int:pk>/check-in/", sessions.check_in, name="check-in"),
    re_path(
        r"^sessions/(?P<pk>[0-9]+)/check-in/(?P<code>[A-Za-z0-9]{8})/(?P<action>start|complete)/$",
        sessions.check_in_action,
        name="check-in-action",
    ),
    path("sessions/<int:pk>/walk-in/", sessions.walk_in, name="walk-in"),
    path("sessions/<int:pk>/call-next/", sessions.call_next, name="call-next"),
    path("bookings/<str:code>/", sessions.booking_detail, name="booking"),
    # Blank stock.
    path("stock/", stock.stock_overview, name="stock"),
    path("stock/movements/", stock.movement_list, name="stock-movements"),
    path("stock/locations/<str:code>/", stock.location_detail, name="stock-location"),
    re_path(r"^stock/(?P<kind>receive|transfer|spoil|adjust)/$", stock.movement_new, name="stock-post"),
]
