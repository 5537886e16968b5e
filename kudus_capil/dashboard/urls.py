from __future__ import annotations

from django.urls import path

from kudus_capil.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("citizens/", views.citizen_list, name="citizens"),
    path("citizens/<int:pk>/", views.citizen_detail, name="citizen"),
    path("audit/", views.audit_log, name="audit"),
    path("staff/", views.staff_list, name="staff"),
]
