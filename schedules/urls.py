"""Public pages (the citizen side)."""

from __future__ import annotations

from django.urls import path

from schedules import views

app_name = "schedules"

urlpatterns = [
    path("", views.home, name="home"),
    path("appointments/new/", views.book, name="book"),
    path("appointments/find/", views.find, name="find"),
    # The manage token is a path segment (masked in every log: core.url_secrets), never a query
    # parameter; the older links with `?token=` (the `-query` routes) redirect to these.
    path("appointments/<str:code>/confirmation/<str:token>/", views.confirmation, name="confirmation"),
    path("appointments/<str:code>/confirmation/", views.confirmation, name="confirmation-query"),
    path("appointments/<str:code>/m/<str:token>/", views.manage, name="manage"),
    path("appointments/<str:code>/", views.manage, name="manage-query"),
    path("appointments/<str:code>/cancel/", views.cancel, name="cancel"),
    path("appointments/<str:code>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<str:code>/m/<str:token>/calendar.ics", views.calendar, name="calendar"),
    path("appointments/<str:code>/calendar.ics", views.calendar, name="calendar-query"),
    path("sessions/<int:session_id>/queue/", views.queue_display, name="queue"),
    path("sessions/<int:session_id>/queue/state/", views.queue_state, name="queue-state"),
    path("sessions/<int:session_id>/waitlist/", views.waitlist_join, name="waitlist-join"),
    path("waitlist/<int:entry_id>/<str:token>/", views.waitlist_offer, name="waitlist-offer"),
    # The signed value before `leave/`: the log masking hides the segment after the entry id.
    path("waitlist/<int:entry_id>/<str:token>/leave/", views.waitlist_leave, name="waitlist-leave"),
    path("waitlist/<int:entry_id>/", views.waitlist_offer, name="waitlist-offer-query"),
]
