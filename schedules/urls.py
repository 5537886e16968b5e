"""Public pages (the citizen side)."""

from __future__ import annotations

from django.urls import path

from schedules import views

app_name = "schedules"

urlpatterns = [
    path("", views.home, name="home"),
    path("appointments/new/", views.book, name="book"),
    path("appointments/find/", views.find, name="find"),
    path("appointments/<str:code>/confirmation/", views.confirmation, name="confirmation"),
    path("appointments/<str:code>/", views.manage, name="manage"),
    path("appointments/<str:code>/cancel/", views.cancel, name="cancel"),
    path("appointments/<str:code>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<str:code>/calendar.ics", views.calendar, name="calendar"),
    path("sessions/<int:session_id>/queue/", views.queue_display, name="queue"),
    path("sessions/<int:session_id>/waitlist/", views.waitlist_join, name="waitlist-join"),
    path("waitlist/<int:entry_id>/", views.waitlist_offer, name="waitlist-offer"),
]
