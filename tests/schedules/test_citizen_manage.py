"""The manage side: cancel asks for confirmation, a cancelled booking shows no QR, and the .ics
carries a VTIMEZONE for Asia/Jakarta and an alarm."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from icalendar import Calendar

from schedules.services import appointment_book, appointment_cancel
from tests.factories import OutreachSessionFactory, citizen_aged


@pytest.fixture
def booking(regions):
    day = timezone.localdate() + dt.timedelta(days=3)
    session = OutreachSessionFactory(date=day, services=["recording"])
    return appointment_book(
        slot=session.slots.order_by("starts_at")[0],
        citizen=citizen_aged(20, on=day),
        service="recording",
        reason="new",
    )


def test_cancel_asks_for_confirmation_before_cancelling(client, booking):
    code, token = booking.appointment.code, booking.manage_token
    first = client.post(f"/appointments/{code}/cancel/", {"token": token})
    content = first.content.decode()
    assert first.status_code == 200 and 'name="confirm" value="yes"' in content
    assert "Ya, batalkan pendaftaran saya" in content
    booking.appointment.refresh_from_db()
    assert booking.appointment.status == "active"  # the first tap changed nothing

    second = client.post(f"/appointments/{code}/cancel/", {"token": token, "confirm": "yes"})
    assert second.status_code == 303
    booking.appointment.refresh_from_db()
    assert booking.appointment.status == "cancelled"


def test_a_cancelled_booking_shows_no_qr_code(client, booking):
    url = f"/appointments/{booking.appointment.code}/m/{booking.manage_token}/"
    confirmation = f"/appointments/{booking.appointment.code}/confirmation/{booking.manage_token}/"
    assert "data:image/svg+xml" in client.get(url).content.decode()
    assert "data:image/svg+xml" in client.get(confirmation).content.decode()
    appointment_cancel(appointment=booking.appointment)
    assert "data:image/svg+xml" not in client.get(url).content.decode()
    assert "data:image/svg+xml" not in client.get(confirmation).content.decode()


def test_the_calendar_file_has_a_jakarta_vtimezone_and_an_alarm(client, booking):
    url = f"/appointments/{booking.appointment.code}/m/{booking.manage_token}/calendar.ics"
    calendar = Calendar.from_ical(client.get(url).content)
    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["Asia/Jakarta"]
    standard = zones[0].walk("STANDARD")[0]
    assert standard.decoded("TZOFFSETTO") == dt.timedelta(hours=7)
    event = calendar.walk("VEVENT")[0]
    assert event["DTSTART"].params["TZID"] == "Asia/Jakarta"
    alarms = event.walk("VALARM")
    assert len(alarms) == 1 and str(alarms[0]["ACTION"]) == "DISPLAY"
    assert alarms[0].decoded("TRIGGER") == -dt.timedelta(hours=12)

    appointment_cancel(appointment=booking.appointment)
    cancelled = Calendar.from_ical(client.get(url).content).walk("VEVENT")[0]
    assert str(cancelled["STATUS"]) == "CANCELLED" and not cancelled.walk("VALARM")
