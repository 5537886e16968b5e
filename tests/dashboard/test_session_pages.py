"""Sessions for staff: the week, creating sessions and series, a session's bookings, cancelling,
and the check-in desk. Scoping: another kecamatan's session or booking is a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from registrations.models import ServiceRequest
from schedules.messaging import LocmemSMSBackend
from schedules.models import Appointment, OutreachSeries, OutreachSession, QueueTicket
from schedules.services import appointment_book
from tests.factories import OutreachSessionFactory, citizen_aged, desa, printable_citizen, stocked_location


def _yesterday_morning() -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def book(session, citizen, service="recording", slot_index=0, **kwargs) -> Appointment:
    """A booking made yesterday (so today's session still took it), with a phone for notices."""
    slot = session.slots.order_by("starts_at")[slot_index]
    kwargs.setdefault("phone", "081234567890")
    return appointment_book(
        slot=slot, citizen=citizen, service=service, reason="new", now=_yesterday_morning(), **kwargs
    ).appointment


@pytest.fixture
def today_session(regions):
    return OutreachSessionFactory(
        date=timezone.localdate(), title="Layanan Balai Desa Bakalan", kecamatan="33.19.01", desks=1
    )


@pytest.fixture
def jati_session(regions):
    return OutreachSessionFactory(
        date=timezone.localdate(), title="Layanan Kecamatan Jati", kecamatan="33.19.03", venue_name="Jati"
    )


@pytest.fixture
def booking(today_session):
    citizen = citizen_aged(20, on=timezone.localdate(), days_after_birthday=40, full_name="Ani Rekam")
    return book(today_session, citizen)


# --- The week and the session page ----------------------------------------------------------------


def test_the_week_shows_counts_and_only_the_users_kecamatan(
    as_user, operator, today_session, jati_session, booking, django_assert_max_num_queries
):
    OutreachSessionFactory(date=timezone.localdate() + dt.timedelta(days=1), title="Besok Kaliwungu")
    client = as_user(operator)
    with django_assert_max_num_queries(8):
        page = client.get("/dashboard/sessions/").content.decode()
    assert "Layanan Balai Desa Bakalan" in page and "Layanan Kecamatan Jati" not in page
    capacity = sum(slot.capacity for slot in today_session.slots.all())
    assert f"1 / {capacity}" in page
    next_week = client.get("/dashboard/sessions/", {"week": "2030-01-07"}).content.decode()
    assert "Layanan Balai Desa Bakalan" not in next_week and "Week of 7 Jan" in next_week


def test_the_session_page_lists_bookings_per_slot_and_is_404_elsewhere(
    as_user, operator, today_session, jati_session, booking
):
    client = as_user(operator)
    page = client.get(f"/dashboard/sessions/{today_session.pk}/").content.decode()
    assert booking.code in page and "Ani Rekam" in page and booking.citizen.masked_nik in page
    assert booking.citizen.nik not in page
    assert client.get(f"/dashboard/sessions/{jati_session.pk}/").status_code == 404
    assert client.get(f"/dashboard/sessions/{jati_session.pk}/check-in/").status_code == 404
    assert client.get(f"/dashboard/bookings/{booking.code}/").status_code == 200
    jati_booking = book(jati_session, citizen_aged(30, on=timezone.localdate(), desa=desa("33.19.03.2001")))
    assert client.get(f"/dashboard/bookings/{jati_booking.code}/").status_code == 404


def test_viewers_see_the_week_and_counts_but_no_names_and_cannot_write(
    as_user, viewer, today_session, booking
):
    client = as_user(viewer)
    assert "Layanan Balai Desa Bakalan" in client.get("/dashboard/sessions/").content.decode()
    page = client.get(f"/dashboard/sessions/{today_session.pk}/").content.decode()
    assert "Ani Rekam" not in page and booking.code not in page
    assert client.get(f"/dashboard/bookings/{booking.code}/").status_code == 403
    assert client.get(f"/dashboard/sessions/{today_session.pk}/check-in/").status_code == 403
    assert client.get("/dashboard/sessions/new/").status_code == 403
    assert (
        client.post(f"/dashboard/sessions/{today_session.pk}/cancel/", {"cancel-reason": "x"}).status_code
        == 403
    )
    today_session.refresh_from_db()
    assert today_session.status == "scheduled"


# --- Creating --------------------------------------------------------------------------------------


def test_the_new_session_form_is_prefilled_from_the_query(as_user, operator, regions):
    page = (
        as_user(operator)
        .get("/dashboard/sessions/new/", {"kecamatan": "33.19.01", "venue": "SMA 1 Kudus", "kind": "school"})
        .content.decode()
    )
    assert 'value="SMA 1 Kudus"' in page
    assert '<option value="school" selected>' in page
    assert '<option value="33.19.01" selected>' in page


def test_an_operator_creates_a_session_with_its_slots(as_user, operator, regions):
    day = timezone.localdate() + dt.timedelta(days=5)
    response = as_user(operator).post(
        "/dashboard/sessions/new/",
        {"kind": "kecamatan", "title": "Pelayanan Sabtu", "venue_name": "Kantor Kecamatan Kaliwungu",
         "kecamatan": "33.19.01", "date": day.isoformat(), "start_time": "08:00", "end_time": "10:00",
         "services": ["recording", "printing"], "desks": "2", "slot_minutes": "30", "published": "on"},
        follow=True,
    )  # fmt: skip
    session = OutreachSession.objects.get(title="Pelayanan Sabtu")
    assert session.slots.count() == 4 and session.created_by.username == "op-kaliwungu"
    assert (session.offers_recording, session.offers_printing, session.offers_ikd) == (True, True, False)
    assert response.redirect_chain[-1][0] == f"/dashboard/sessions/{session.pk}/"
    assert "Session “Pelayanan Sabtu” created with 4 slots." in response.content.decode()


def test_the_service_refusal_is_shown_on_the_form_and_other_kecamatan_are_not_offered(
    as_user, operator, regions
):
    client = as_user(operator)
    data = {"kind": "kecamatan", "title": "X", "venue_name": "Y", "kecamatan": "33.19.01",
            "date": "2030-01-05", "start_time": "08:00", "end_time": "08:10", "services": ["recording"],
            "desks": "1", "slot_minutes": "15"}  # fmt: skip
    response = client.post("/dashboard/sessions/new/", data)
    assert response.status_code == 400
    assert "The session is shorter than one slot." in response.content.decode()
    response = client.post("/dashboard/sessions/new/", {**data, "end_time": "09:00", "kecamatan": "33.19.03"})
    assert response.status_code == 400
    assert not OutreachSession.objects.exists()


def test_a_recurring_series_creates_one_session_per_weekday(as_user, supervisor, regions):
    response = as_user(supervisor).post(
        "/dashboard/sessions/series/new/",
        {"kind": "cfd", "title": "CFD Simpang Tujuh", "venue_name": "Alun-alun Simpang Tujuh",
         "kecamatan": "33.19.02", "start_date": "2030-03-01", "end_date": "2030-03-31", "weekdays": ["6"],
         "start_time": "06:00", "end_time": "09:00", "services": ["recording", "ikd_activation"],
         "desks": "2", "slot_minutes": "30", "skip_holidays": "on", "published": "on"},
    )  # fmt: skip
    series = OutreachSeries.objects.get(title="CFD Simpang Tujuh")
    dates = list(series.sessions.values_list("date", flat=True))
    assert dates == [dt.date(2030, 3, 3), dt.date(2030, 3, 10), dt.date(2030, 3, 17), dt.date(2030, 3, 24),
                     dt.date(2030, 3, 31)]  # fmt: skip
    assert response["Location"] == "/dashboard/sessions/?week=2030-03-01"


def test_field_staff_cannot_create_sessions(as_user, field_staff, regions):
    assert as_user(field_staff).get("/dashboard/sessions/series/new/").status_code == 403


# --- Cancelling ------------------------------------------------------------------------------------


def test_cancelling_a_session_cancels_its_bookings_and_notifies_the_citizens(
    as_user, operator, today_session, booking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(operator).post(
            f"/dashboard/sessions/{today_session.pk}/cancel/", {"cancel-reason": "Listrik padam"}, follow=True
        )
    assert "1 bookings were cancelled and the citizens notified." in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason) == ("cancelled", "session_cancelled")
    assert [sms["to"] for sms in LocmemSMSBackend.outbox] == ["081234567890"]
    assert booking.code in LocmemSMSBackend.outbox[0]["text"]
    today_session.refresh_from_db()
    assert (today_session.status, today_session.cancel_reason) == ("cancelled", "Listrik padam")


def test_removing_a_slot_cancels_only_its_bookings(as_user, operator, today_session, booking):
    other = book(today_session, printable_citizen(full_name="Dua"), service="printing", slot_index=1)
    slot = booking.slot
    client = as_user(operator)
    client.post(
        f"/dashboard/sessions/{today_session.pk}/slots/{slot.pk}/remove/", {f"slot{slot.pk}-reason": "x"}
    )
    booking.refresh_from_db()
    other.refresh_from_db()
    assert (booking.status, other.status) == ("cancelled", "active")
    slot.refresh_from_db()
    assert slot.removed_at is not None


# --- The check-in desk ------------------------------------------------------------------------------


def test_the_desk_looks_up_a_scanned_code_and_shows_who_what_and_eligibility(
    as_user, operator, today_session, booking
):
    page = (
        as_user(operator)
        .get(f"/dashboard/sessions/{today_session.pk}/check-in/", {"code": booking.code.lower()})
        .content.decode()
    )
    assert "autofocus" in page
    assert "Ani Rekam" in page and booking.citizen.masked_nik in page and booking.citizen.nik not in page
    assert "recording" in page and "Eligible for this service today." in page
    assert ">Check in</button>" in page


def test_checking_in_gives_a_number_then_one_click_starts_the_request(
    as_user, operator, today_session, booking
):
    client = as_user(operator)
    url = f"/dashboard/sessions/{today_session.pk}/check-in/"
    response = client.post(url, {"code": booking.code}, follow=True)
    page = response.content.decode()
    assert "Checked in: queue number 001." in page
    assert response.redirect_chain[-1][0] == f"{url}?code={booking.code}"
    booking.refresh_from_db()
    request = booking.service_request
    assert booking.status == "checked_in" and request.status == "submitted"
    assert ">Start the request</button>" in page
    page = client.post(f"{url}{booking.code}/start/", {}, follow=True).content.decode()
    assert f"Request #{request.pk} started." in page
    request.refresh_from_db()
    assert request.status == "in_progress" and request.served_by.username == "op-kaliwungu"
    assert ">Complete the request</button>" in page


def test_a_code_of_another_session_offers_to_serve_it_here_and_changes_nothing_until_asked(
    as_user, operator, today_session, regions
):
    other_session = OutreachSessionFactory(date=timezone.localdate(), title="Lain", kecamatan="33.19.01")
    foreign = book(other_session, citizen_aged(25, on=timezone.localdate()))
    client = as_user(operator)
    url = f"/dashboard/sessions/{today_session.pk}/check-in/"
    page = client.get(url, {"code": foreign.code}).content.decode()
    assert "booked for another session: Lain" in page
    assert f"/dashboard/sessions/{today_session.pk}/serve-here/{foreign.code}/" in page
    assert foreign.citizen.nik not in page
    foreign.refresh_from_db()
    assert foreign.status == "active"
    assert client.post(f"{url}{foreign.code}/start/", {}).status_code == 404
    assert (
        client.get(url, {"code": "ZZZZ9999"})
        .content.decode()
        .count("No booking with this code at this session.")
        == 1
    )


def test_checking_in_on_another_day_shows_the_domain_error(as_user, operator, regions):
    session = OutreachSessionFactory(date=timezone.localdate() + dt.timedelta(days=2), kecamatan="33.19.01")
    appointment = book(session, citizen_aged(25, on=timezone.localdate()))
    page = (
        as_user(operator)
        .post(f"/dashboard/sessions/{session.pk}/check-in/", {"code": appointment.code}, follow=True)
        .content.decode()
    )
    assert "Check-in is only possible on the day of the session." in page
    appointment.refresh_from_db()
    assert appointment.status == "active"


def test_a_walk_in_gets_a_number_and_the_next_number_is_called(as_user, field_staff, today_session, booking):
    client = as_user(field_staff)
    walker = printable_citizen(full_name="Datang Langsung")
    base = f"/dashboard/sessions/{today_session.pk}"
    client.post(f"{base}/check-in/", {"code": booking.code})
    page = client.post(
        f"{base}/walk-in/",
        {"walkin-nik": walker.nik, "walkin-birth_date": walker.birth_date.isoformat(),
         "walkin-service": "printing", "walkin-reason": "new"},
        follow=True,
    ).content.decode()  # fmt: skip
    ticket = QueueTicket.objects.get(citizen=walker)
    assert f"Walk-in registered: queue number 002, request #{ticket.service_request_id}." in page
    page = client.post(f"{base}/call-next/", {"call-desk": "1"}, follow=True).content.decode()
    assert "Number 001 called to desk 1: Ani Rekam." in page
    booking.refresh_from_db()
    assert booking.service_request.status == "in_progress"
    client.post(f"{base}/call-next/", {"call-desk": "1"})
    assert ServiceRequest.objects.get(pk=ticket.service_request_id).status == "in_progress"
    # 001 was not served (its request is still open): it went back in the queue and is called again.
    page = client.post(f"{base}/call-next/", {"call-desk": "1"}, follow=True).content.decode()
    assert "Number 001 called to desk 1: Ani Rekam." in page
    assert QueueTicket.objects.get(citizen=walker).status == "waiting"


def test_the_desk_completes_a_printing_with_the_serving_location(
    as_user, field_staff, today_session, regions
):
    from regions.models import Kecamatan

    stocked_location(
        5, code="KEC-01", name="Kecamatan Kaliwungu", kecamatan=Kecamatan.objects.get(pk="33.19.01")
    )
    appointment = book(today_session, printable_citizen(), service="printing")
    client = as_user(field_staff)
    base = f"/dashboard/sessions/{today_session.pk}/check-in/"
    client.post(base, {"code": appointment.code})
    client.post(f"{base}{appointment.code}/start/", {"location": "KEC-01"})
    page = client.post(f"{base}{appointment.code}/complete/", {}, follow=True).content.decode()
    assert "One blank issued from Kecamatan Kaliwungu: stock 5 → 4." in page
    appointment.refresh_from_db()
    assert appointment.service_request.status == "completed"


def test_writes_on_another_kecamatans_session_are_404_and_change_nothing(
    as_user, jati_operator, today_session, booking
):
    client = as_user(jati_operator)
    base = f"/dashboard/sessions/{today_session.pk}"
    slot = booking.slot
    assert client.post(f"{base}/cancel/", {"cancel-reason": "x"}).status_code == 404
    assert client.post(f"{base}/slots/{slot.pk}/remove/", {f"slot{slot.pk}-reason": "x"}).status_code == 404
    assert client.post(f"{base}/check-in/", {"code": booking.code}).status_code == 404
    assert client.post(f"{base}/check-in/{booking.code}/start/", {}).status_code == 404
    assert client.post(f"{base}/call-next/", {"call-desk": "1"}).status_code == 404
    booking.refresh_from_db()
    today_session.refresh_from_db()
    assert (booking.status, today_session.status) == ("active", "scheduled")


def test_viewers_cannot_use_the_check_in_desk(as_user, viewer, today_session, booking):
    client = as_user(viewer)
    base = f"/dashboard/sessions/{today_session.pk}"
    assert client.post(f"{base}/check-in/", {"code": booking.code}).status_code == 403
    assert client.post(f"{base}/call-next/", {"call-desk": "1"}).status_code == 403
    booking.refresh_from_db()
    assert booking.status == "active"
