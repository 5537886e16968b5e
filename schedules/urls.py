"""Public pages (the citizen side)."""

from __future__ import annotations

from django.urls import path

from schedules import views

app_name = "schedules"

urlpatterns = [
    path("", views.home, name="home"),
]
