from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from core.models import OutboxMessage
from schedules import tasks
from schedules.messaging import LocmemSMSBackend
from schedules.models import Appointment, ScheduleEvent, Slot
from schedules.services import (
    appointment_book,
    appointment_notify_cancelled,
    appointment_remind,
    appointment_reminders_enqueue,
    no_shows_enqueue,
    session_cancel,
    session_mark_no_shows,
    slot_remove,
)
from tests.factories import OutreachSessionFactory, citizen_aged

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2024, 2, 1, 10, 0, tzinfo=WIB)
SESSION_DAY = dt.date(2024, 2, 4)


@pytest.fixture
def session(regions):
    return OutreachSessionFactory(date=SESSION_DAY, kind="cfd", start_time=dt.time(6), end_time=dt.time(9))


def booked(session, *, email="", phone="", language="id", index=0, **citizen_fields):
    slot = session.slots.order_by("starts_at")[index]
    citizen = citizen_aged(
        20, on=SESSION_DAY, days_after_birthday=index + len(mail.outbox) * 7, **citizen_fields
    )
    return appointment_book(
        slot=slot,
        citizen=citizen,
        service="recording",
        reason="new",
        email=email,
        phone=phone,
        language=language,
        now=NOW,
    ).appointment


def test_cancelling_a_session_cancels_its_bookings_and_tells_every_citizen_with_a_rebook_link(
    session, django_capture_on_commit_callbacks
):
    by_mail = booked(session, email="warga@example.id", index=0)
    by_sms = booked(session, phone="081234567890", index=1, language="en")
    from_registry = booked(session, index=2)
    from_registry.citizen.email = "registry@example.id"
    from_registry.citizen.save()
    unreachable = booked(session, index=3)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = session_cancel(session=session, reason="Hujan deras", now=NOW)

    assert result.cancelled_appointments == 4
    assert set(Appointment.objects.values_list("status", flat=True)) == {"cancelled"}
    assert set(Appointment.objects.values_list("cancel_reason", flat=True)) == {"session_cancelled"}
    assert sum(Slot.objects.filter(session=session).values_list("booked", flat=True)) == 0
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["registry@example.id", "warga@example.id"]
    assert all("/appointments/new/?service=recording&reason=new" in message.body for message in mail.outbox)
    assert "dibatalkan" in mail.outbox[0].subject  # Indonesian by default
    assert [sms["to"] for sms in LocmemSMSBackend.outbox] == ["081234567890"]
    assert "was cancelled" in LocmemSMSBackend.outbox[0]["text"]  # booked in English
    assert "/appointments/new/" in LocmemSMSBackend.outbox[0]["text"]
    notes = dict(ScheduleEvent.objects.filter(action="notified").values_list("appointment_id", "note"))
    assert notes[unreachable.pk] == "no contact: call the citizen"
    assert set(notes) == {by_mail.pk, by_sms.pk, from_registry.pk, unreachable.pk}


def test_a_cancellation_notice_is_sent_once(session, django_capture_on_commit_callbacks):
    appointment = booked(session, email="warga@example.id")
    with django_capture_on_commit_callbacks(execute=True):
        slot_remove(slot=appointment.slot, now=NOW)
    assert len(mail.outbox) == 1
    assert appointment_notify_cancelled(appointment_id=appointment.pk) is False
    tasks.appointment_notify_cancelled.apply(kwargs={"appointment_id": appointment.pk}).get()
    assert len(mail.outbox) == 1


def test_removing_a_slot_cancels_only_its_bookings(session):
    kept = booked(session, index=0)
    dropped = booked(session, index=1, email="warga@example.id")
    assert slot_remove(slot=dropped.slot, now=NOW) == 1
    kept.refresh_from_db()
    dropped.refresh_from_db()
    assert kept.status == "active"
    assert (dropped.status, dropped.cancel_reason) == ("cancelled", "slot_removed")


def test_reminders_go_out_the_day_before_once(session, settings):
    settings.SCHEDULES_REMINDER_HOUR = 9
    appointment = booked(session, email="warga@example.id", phone="081234567890")
    other_day = OutreachSessionFactory(date=SESSION_DAY + dt.timedelta(days=2))
    booked(other_day, email="later@example.id")
    mail.outbox.clear()
    early = dt.datetime(2024, 2, 3, 8, 0, tzinfo=WIB)
    assert appointment_reminders_enqueue(now=early) == 0
    day_before = dt.datetime(2024, 2, 3, 9, 30, tzinfo=WIB)
    assert appointment_reminders_enqueue(now=day_before) == 1
    assert appointment_remind(appointment_id=appointment.pk, now=day_before) is True
    assert appointment_remind(appointment_id=appointment.pk, now=day_before) is False  # second run
    assert appointment_reminders_enqueue(now=day_before + dt.timedelta(hours=1)) == 0
    assert [message.to for message in mail.outbox] == [["warga@example.id"]]
    assert appointment.code in mail.outbox[0].body
    assert "Minggu, 4 Februari 2024" in mail.outbox[0].body
    assert len(LocmemSMSBackend.outbox) == 1
    assert ScheduleEvent.objects.filter(appointment=appointment, action="reminded").count() == 1


def test_the_reminder_sweep_publishes_through_the_outbox(
    session, settings, django_capture_on_commit_callbacks
):
    settings.SCHEDULES_REMINDER_HOUR = 9
    appointment = booked(session, email="warga@example.id")
    day_before = dt.datetime(2024, 2, 3, 9, 30, tzinfo=WIB)
    with django_capture_on_commit_callbacks(execute=False):
        appointment_reminders_enqueue(now=day_before)
    message = OutboxMessage.objects.get(task="schedules.tasks.appointment_send_reminder")
    assert message.kwargs == {"appointment_id": appointment.pk}
    assert message.dedupe_key == f"schedules:reminder:{appointment.pk}"


def test_cancelled_and_moved_bookings_get_no_stale_reminder(session):
    appointment = booked(session, email="warga@example.id")
    mail.outbox.clear()
    Appointment.objects.filter(pk=appointment.pk).update(status="cancelled")
    assert appointment_remind(appointment_id=appointment.pk, now=NOW) is False
    assert mail.outbox == []


def test_unchecked_bookings_become_no_shows_after_the_session_once(session, settings):
    settings.SCHEDULES_NO_SHOW_GRACE_MINUTES = 30
    absent = booked(session, index=0)
    present = booked(session, index=1)
    Appointment.objects.filter(pk=present.pk).update(status="checked_in")
    during = dt.datetime(2024, 2, 4, 9, 10, tzinfo=WIB)
    assert no_shows_enqueue(now=during) == 0
    assert session_mark_no_shows(session_id=session.pk, now=during) == 0
    after = dt.datetime(2024, 2, 4, 9, 31, tzinfo=WIB)
    assert session_mark_no_shows(session_id=session.pk, now=after) == 1
    assert session_mark_no_shows(session_id=session.pk, now=after) == 0  # second run
    absent.refresh_from_db()
    present.refresh_from_db()
    assert (absent.status, present.status) == ("no_show", "checked_in")
    assert ScheduleEvent.objects.filter(appointment=absent, action="no_show").count() == 1
    assert no_shows_enqueue(now=after) == 0  # closed sessions are not swept again
    assert Slot.objects.get(pk=absent.slot_id).booked == 1  # a no-show kept its place


def test_the_no_show_task_runs_twice_with_the_same_result(session):
    absent = booked(session)
    Appointment.objects.filter(pk=absent.pk).update(created_at=NOW)
    from schedules.models import OutreachSession

    OutreachSession.objects.filter(pk=session.pk).update(date=dt.date(2020, 1, 5))
    assert tasks.session_mark_no_shows.apply(kwargs={"session_id": session.pk}).get() == 1
    assert tasks.session_mark_no_shows.apply(kwargs={"session_id": session.pk}).get() == 0
    absent.refresh_from_db()
    assert absent.status == "no_show"


def test_booking_contacts_are_forgotten_after_the_retention_period(session, settings):
    from core.retention import retention_apply

    settings.SCHEDULES_CONTACT_RETENTION_DAYS = 30
    appointment = booked(session, email="warga@example.id", phone="081234567890")
    assert retention_apply(now=dt.datetime(2024, 3, 4, 12, 0, tzinfo=WIB))["appointment_contacts"] == 0
    assert retention_apply(now=dt.datetime(2024, 3, 6, 12, 0, tzinfo=WIB))["appointment_contacts"] == 1
    appointment.refresh_from_db()
    assert (appointment.phone, appointment.email, appointment.status) == ("", "", "active")
