from __future__ import annotations

from django.urls import path

from kudus_capil.dashboard import views

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
]
