"""Reminders and no-shows on a real Celery worker with Redis (make test)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from schedules import tasks
from schedules.models import Appointment, OutreachSession, ScheduleEvent
from schedules.services import appointment_book
from tests.factories import OutreachSessionFactory, citizen_aged
from tests.helpers import wait_for


@pytest.fixture
def _reminders_at_any_hour(monkeypatch):
    # The worker reads its settings from the environment: let the reminder sweep run whatever the hour.
    monkeypatch.setenv("SCHEDULES_REMINDER_HOUR", "0")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_reminders_and_no_shows_run_on_a_real_worker(
    _reminders_at_any_hour, regions_tx, celery_worker_process
):
    today = timezone.localdate()
    tomorrow_session = OutreachSessionFactory(date=today + dt.timedelta(days=1))
    ended_session = OutreachSessionFactory(date=today - dt.timedelta(days=1))
    long_ago = timezone.now() - dt.timedelta(days=5)
    upcoming = appointment_book(
        slot=tomorrow_session.slots.first(),
        citizen=citizen_aged(20, on=today),
        service="recording",
        reason="new",
        email="warga@example.id",
        now=long_ago,
    ).appointment
    absent = appointment_book(
        slot=ended_session.slots.first(),
        citizen=citizen_aged(21, on=today),
        service="recording",
        reason="new",
        now=long_ago,
    ).appointment

    # The beat sweeps run on the worker and publish one task per booking/session through the outbox.
    assert tasks.reminders_dispatch.delay().get(timeout=30) == 1
    assert tasks.no_shows_dispatch.delay().get(timeout=30) == 1
    assert wait_for(lambda: Appointment.objects.get(pk=upcoming.pk).reminder_sent_at is not None)
    assert wait_for(lambda: Appointment.objects.get(pk=absent.pk).status == "no_show")
    assert OutreachSession.objects.get(pk=ended_session.pk).closed_at is not None

    # Each task run again on the worker: same result, nothing sent or marked twice.
    assert tasks.appointment_send_reminder.delay(appointment_id=upcoming.pk).get(timeout=30) is False
    assert tasks.session_mark_no_shows.delay(session_id=ended_session.pk).get(timeout=30) == 0
    assert tasks.reminders_dispatch.delay().get(timeout=30) == 0
    assert ScheduleEvent.objects.filter(appointment=upcoming, action="reminded").count() == 1
    assert ScheduleEvent.objects.filter(appointment=absent, action="no_show").count() == 1
    assert Appointment.objects.get(pk=upcoming.pk).status == "active"
