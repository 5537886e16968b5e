from __future__ import annotations

from django.urls import path, re_path

from dashboard.views import (
    audit,
    checkin,
    citizens,
    coverage_map,
    desk_offline,
    overview,
    school_visits,
    service_requests,
    sessions,
    staff,
    stock,
    targets,
)

app_name = "dashboard"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("coverage/recompute/", overview.coverage_recompute_request, name="coverage-recompute"),
    path("map/", coverage_map.coverage_map_page, name="map"),
    re_path(r"^areas/(?P<code>[0-9.]{2,13})/$", coverage_map.coverage_area, name="area"),
    path("targets/", targets.targets, name="targets"),
    path("targets/export/", targets.targets_export, name="targets-export"),
    path("schools/visit/", school_visits.school_visit, name="school-visit"),
    path("schools/visit/export/", school_visits.school_visit_export, name="school-visit-export"),
    path("schools/visit/plan/", school_visits.school_visit_plan, name="school-visit-plan"),
    path("citizens/", citizens.citizen_list, name="citizens"),
    path("citizens/export/", citizens.citizens_export, name="citizens-export"),
    path("citizens/<int:pk>/", citizens.citizen_detail, name="citizen"),
    path("citizens/<int:pk>/data-export/", citizens.citizen_data_export, name="citizen-data-export"),
    path("citizens/<int:pk>/correction/", citizens.citizen_correction, name="citizen-correction"),
    path("report/daily/", overview.report_daily, name="report-daily"),
    path("audit/", audit.audit_log, name="audit"),
    path("staff/", staff.staff_list, name="staff"),
    # Service requests: the work queue.
    path("requests/", service_requests.request_list, name="requests"),
    path("requests/<int:pk>/", service_requests.request_detail, name="request"),
    re_path(
        r"^requests/(?P<pk>[0-9]+)/(?P<action>start|complete|cancel|reject)/$",
        service_requests.request_action,
        name="request-action",
    ),
    # Sessions, bookings and the check-in desk.
    path("sessions/", sessions.session_list, name="sessions"),
    path("sessions/new/", sessions.session_new, name="session-new"),
    path("sessions/series/new/", sessions.series_new, name="series-new"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session"),
    path("sessions/<int:pk>/cancel/", sessions.session_cancel, name="session-cancel"),
    path("sessions/<int:pk>/slots/<int:slot_id>/remove/", sessions.slot_remove, name="slot-remove"),
    path("sessions/<int:pk>/check-in/", checkin.check_in, name="check-in"),
    re_path(
        r"^sessions/(?P<pk>[0-9]+)/check-in/(?P<code>[A-Za-z0-9]{8})/(?P<action>start|complete)/$",
        checkin.check_in_action,
        name="check-in-action",
    ),
    path("sessions/<int:pk>/walk-in/", checkin.walk_in, name="walk-in"),
    path("sessions/<int:pk>/serve-here/<str:code>/", checkin.serve_here, name="serve-here"),
    path("sessions/<int:pk>/walk-in/<int:citizen_id>/", checkin.walk_in_resident, name="walk-in-resident"),
    path("sessions/<int:pk>/call-next/", checkin.call_next, name="call-next"),
    path("sessions/<int:pk>/desk/offline/", desk_offline.desk_offline_page, name="desk-offline"),
    path("sessions/<int:pk>/desk/sync/", desk_offline.desk_sync_view, name="desk-sync"),
    path("sessions/<int:pk>/desk/offline-data/", desk_offline.desk_offline_data, name="desk-offline-data"),
    path("sessions/<int:pk>/visits/<int:ticket_id>/complete/", checkin.visit_complete, name="visit-complete"),
    path("sessions/<int:pk>/visits/<int:ticket_id>/ticket/", checkin.visit_ticket, name="visit-ticket"),
    path("bookings/<str:code>/", checkin.booking_detail, name="booking"),
    # Blank stock.
    path("stock/", stock.stock_overview, name="stock"),
    path("stock/movements/", stock.movement_list, name="stock-movements"),
    path("stock/locations/<str:code>/", stock.location_detail, name="stock-location"),
    re_path(r"^stock/(?P<kind>receive|transfer|spoil|adjust)/$", stock.movement_new, name="stock-post"),
]
