from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from schedules.models import Appointment, OutreachSession, Slot
from schedules.services import appointment_book, session_cancel
from tests.factories import CitizenFactory, OutreachSessionFactory, citizen_aged

BOOK_URL = "/appointments/new/"


@pytest.fixture
def day():
    return timezone.localdate() + dt.timedelta(days=3)


@pytest.fixture
def session(regions, day):
    return OutreachSessionFactory(
        date=day, title="Pelayanan Kecamatan Kaliwungu", services=["recording", "printing"], slot_capacity=2
    )


@pytest.fixture
def citizen(day):
    return citizen_aged(20, on=day, days_after_birthday=40)


def slot_of(session, index=0) -> Slot:
    return session.slots.order_by("starts_at")[index]


def form_data(client, citizen, the_slot, **overrides):
    page = client.get(f"{BOOK_URL}?session={the_slot.session_id}")
    token = re.search(r'name="form_token" value="([^"]+)"', page.content.decode()).group(1)
    data = {
        "nik": citizen.nik,
        "kk": citizen.kk,
        "service": "recording",
        "reason": "new",
        "slot": str(the_slot.pk),
        "phone": "",
        "email": "",
        "form_token": token,
    }
    data.update(overrides)
    return data


def test_the_home_page_lists_upcoming_sessions_with_remaining_places(client, session, day, regions):
    OutreachSessionFactory(date=day, title="Tersembunyi", published=False)
    OutreachSessionFactory(date=timezone.localdate() - dt.timedelta(days=1), title="Kemarin")
    cancelled = OutreachSessionFactory(date=day, title="Batal")
    session_cancel(session=cancelled)
    appointment_book(
        slot=slot_of(session), citizen=citizen_aged(30, on=day), service="recording", reason="new"
    )
    response = client.get("/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "Pelayanan Kecamatan Kaliwungu" in content
    assert "Tersembunyi" not in content and "Kemarin" not in content and "Batal" not in content
    assert "sisa 23 tempat" in content  # 12 slots × 2 places − 1 booked
    assert f"{BOOK_URL}?session={session.pk}" in content


def test_the_home_page_filters_by_service_kecamatan_and_kind(client, session, day):
    OutreachSessionFactory(
        date=day, title="CFD Alun-alun", kind="cfd", kecamatan="33.19.02", services=["ikd_activation"]
    )
    titles = lambda response: re.findall(r"<h4>([^<]+)</h4>", response.content.decode())  # noqa: E731
    assert titles(client.get("/?service=ikd_activation")) == ["CFD Alun-alun"]
    assert titles(client.get("/?kecamatan=33.19.01")) == ["Pelayanan Kecamatan Kaliwungu"]
    assert titles(client.get("/?kind=cfd")) == ["CFD Alun-alun"]
    assert len(titles(client.get("/"))) == 2


def test_the_home_page_query_count_does_not_grow_with_sessions(
    client, regions, day, django_assert_max_num_queries
):
    for offset in range(8):
        OutreachSessionFactory(date=day + dt.timedelta(days=offset))
    with django_assert_max_num_queries(6):
        assert client.get("/").status_code == 200


def test_the_booking_form_has_the_named_fields_with_labels(client, session):
    content = client.get(f"{BOOK_URL}?session={session.pk}").content.decode()
    for name in ("nik", "kk", "service", "reason", "phone", "email"):
        assert f'name="{name}"' in content
        assert f'<label for="id_{name}">' in content
    assert "<legend>Pilih jam</legend>" in content  # the times: a labelled group of radio buttons
    for index in range(session.slots.count()):
        assert f'<label class="slot-button" for="id_slot_{index}">' in content
    assert "<script" not in content
    assert 'lang="id"' in content


def test_booking_through_the_form_shows_the_confirmation(client, session, citizen):
    slot = slot_of(session, 2)
    response = client.post(
        BOOK_URL, form_data(client, citizen, slot, reason="lost", email="warga@example.id")
    )
    assert response.status_code == 303
    appointment = Appointment.objects.get(citizen=citizen)
    assert response["Location"].startswith(f"/appointments/{appointment.code}/confirmation/")
    assert "token=" not in response["Location"]  # the token is a path segment (masked in logs)
    page = client.get(response["Location"])
    content = page.content.decode()
    assert page.status_code == 200
    assert re.search(rf'data-testid="booking-code">{appointment.code}<', content)
    assert 'src="data:image/svg+xml' in content  # QR inline: no external request
    assert not re.search(r'(src|href)="https?://(?!testserver)', content)
    assert f"/appointments/{appointment.code}/m/" in content and "/calendar.ics" in content
    assert "token=" not in content  # private manage link: the token in the path
    assert "Surat keterangan kehilangan dari kepolisian." in content  # what to bring when lost
    assert page["Cache-Control"].startswith("max-age=0")
    assert citizen.nik not in content
    assert appointment.email == "warga@example.id"


def test_a_double_submitted_form_makes_one_booking(client, session, citizen):
    data = form_data(client, citizen, slot_of(session))
    first = client.post(BOOK_URL, data)
    second = client.post(BOOK_URL, data)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Appointment.objects.filter(citizen=citizen).count() == 1
    assert Slot.objects.get(pk=slot_of(session).pk).booked == 1


BAD_INPUTS = [
    ({"nik": "33190112"}, "NIK harus"),
    ({"nik": "3319011705000000"}, "0000"),
    ({"kk": "33190112"}, "KK"),
    ({"slot": "999999"}, "Jam ini tidak ada atau tidak dapat dipesan lagi."),
    ({"service": "passport"}, "Pilih"),
    ({"phone": "<script>alert(1)</script>"}, "Hapus karakter &lt; dan &gt;"),
    ({"nik": "<b>3319011705000001</b>"}, "Hapus karakter &lt; dan &gt;"),
    ({"email": "a@b.id<img src=x onerror=alert(1)>"}, "Hapus karakter &lt; dan &gt;"),
    ({"phone": "12345"}, "Masukkan nomor HP Indonesia"),
    ({"email": "x" * 250 + "@example.id"}, "paling banyak 254 karakter"),
    ({"phone": "0" * 40}, "paling banyak 20 karakter"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUTS)
def test_bad_input_re_renders_the_form_with_a_clear_message_and_writes_nothing(
    client, session, citizen, overrides, message
):
    response = client.post(BOOK_URL, form_data(client, citizen, slot_of(session), **overrides))
    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert "<script>alert" not in content and "<img src=x" not in content
    assert not Appointment.objects.exists()
    assert Slot.objects.get(pk=slot_of(session).pk).booked == 0


def test_a_past_session_or_one_not_offering_the_service_is_refused_in_the_form(
    client, session, citizen, regions
):
    past = OutreachSessionFactory(date=timezone.localdate() - dt.timedelta(days=2))
    response = client.post(BOOK_URL, form_data(client, citizen, slot_of(past)))
    assert "Pendaftaran untuk jam ini sudah ditutup." in response.content.decode()
    recording_only = OutreachSessionFactory(date=session.date, services=["recording"])
    adult = citizen_aged(30, on=session.date, recorded_at=timezone.now())
    response = client.post(BOOK_URL, form_data(client, adult, slot_of(recording_only), service="printing"))
    assert "Jadwal ini tidak melayani layanan yang dipilih." in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_identity_error_does_not_reveal_whether_the_nik_exists(client, session, citizen):
    wrong_date = client.post(BOOK_URL, form_data(client, citizen, slot_of(session), kk="3319010101209999"))
    unknown = client.post(BOOK_URL, form_data(client, citizen, slot_of(session), nik="3319011705009999"))
    message = "NIK dan nomor Kartu Keluarga (KK) ini tidak dapat kami verifikasi."
    assert message in wrong_date.content.decode() and message in unknown.content.decode()
    errors = lambda r: re.search(r'id="form-errors"[^>]*>(.*?)</div>', r.content.decode(), re.S).group(1)  # noqa: E731
    assert errors(wrong_date) == errors(unknown)
    assert not Appointment.objects.exists()


def test_an_ineligible_citizen_gets_the_rule_in_the_form(client, session, day):
    sixteen = citizen_aged(16, on=day, days_after_birthday=10)
    response = client.post(BOOK_URL, form_data(client, sixteen, slot_of(session), service="printing"))
    assert "belum berusia 17 tahun" in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_form_speaks_english_after_the_language_switch(client, session, citizen):
    switched = client.post("/i18n/setlang/", {"language": "en", "next": BOOK_URL})
    assert switched.status_code == 302
    page = client.get(f"{BOOK_URL}?session={session.pk}").content.decode()
    assert 'lang="en"' in page and "Family card (KK) number" in page
    response = client.post(BOOK_URL, form_data(client, citizen, slot_of(session), kk="3319"))
    assert "KK number must be exactly 16 digits (0–9)." in response.content.decode()


def test_the_form_is_rate_limited_per_client_address(client, session, citizen, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "booking_anon": "3/min"},
    }
    for _ in range(3):
        assert client.post(BOOK_URL, form_data(client, citizen, slot_of(session), nik="1")).status_code == 200
    limited = client.post(BOOK_URL, form_data(client, citizen, slot_of(session)))
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "Terlalu banyak percobaan" in limited.content.decode()
    assert not Appointment.objects.exists()
    other_client = client.post(BOOK_URL, form_data(client, citizen, slot_of(session)), REMOTE_ADDR="10.0.0.9")
    assert other_client.status_code == 303


def booked(client, session, citizen, index=0):
    response = client.post(BOOK_URL, form_data(client, citizen, slot_of(session, index)))
    appointment = Appointment.objects.get(citizen=citizen)
    token = re.search(r"/confirmation/([^/]+)/$", response["Location"]).group(1)
    return appointment, token


def test_the_manage_page_needs_the_token(client, session, citizen):
    appointment, token = booked(client, session, citizen)
    assert client.get(f"/appointments/{appointment.code}/m/{token}/").status_code == 200
    assert client.get(f"/appointments/{appointment.code}/m/wrong/").status_code == 404
    assert client.get(f"/appointments/{appointment.code}/").status_code == 404
    assert client.get(f"/appointments/{appointment.code}/m/wrong/calendar.ics").status_code == 404


def test_the_citizen_cancels_from_the_manage_page_and_the_place_is_freed(client, session, citizen):
    appointment, token = booked(client, session, citizen)
    response = client.post(f"/appointments/{appointment.code}/cancel/", {"token": token, "confirm": "yes"})
    assert response.status_code == 303
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert Slot.objects.get(pk=appointment.slot_id).booked == 0
    page = client.get(response["Location"]).content.decode()
    assert "Pendaftaran Anda telah dibatalkan" in page
    assert client.post(f"/appointments/{appointment.code}/cancel/", {"token": "nope"}).status_code == 404


def test_the_citizen_moves_the_booking_from_the_manage_page(client, session, citizen):
    appointment, token = booked(client, session, citizen)
    target = slot_of(session, 5)
    response = client.post(
        f"/appointments/{appointment.code}/reschedule/", {"token": token, "slot": target.pk}
    )
    assert response.status_code == 303
    appointment.refresh_from_db()
    assert appointment.slot_id == target.pk
    assert Appointment.objects.filter(citizen=citizen, status="active").count() == 1
    bad = client.post(f"/appointments/{appointment.code}/reschedule/", {"token": token, "slot": "999999"})
    assert bad.status_code == 400
    assert "Jam ini tidak ada" in bad.content.decode()


def test_the_calendar_file_holds_the_appointment(client, session, citizen):
    appointment, token = booked(client, session, citizen)
    response = client.get(f"/appointments/{appointment.code}/m/{token}/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == appointment.slot.starts_at
    assert appointment.code in str(event.get("summary"))
    assert session.venue_name in str(event.get("location"))
    assert "token=" not in str(event.get("description")) and "token=" not in response.content.decode()


def test_the_queue_display_shows_numbers_and_desks_and_polls_with_a_static_script(client, session):
    from schedules.models import QueueTicket

    citizen = CitizenFactory()
    QueueTicket.objects.create(
        session=session,
        number=7,
        citizen=citizen,
        service="recording",
        status="called",
        desk=2,
        issued_at=timezone.now(),
        called_at=timezone.now(),
    )
    QueueTicket.objects.create(
        session=session, number=8, citizen=CitizenFactory(), service="recording", issued_at=timezone.now()
    )
    response = client.get(reverse("schedules:queue", args=[session.pk]))
    content = response.content.decode()
    assert 'http-equiv="refresh"' not in content  # the script polls; no reload of the whole page
    assert 'data-testid="serving-number">007<' in content
    assert "Meja 2" in content and "008" in content
    # Only static scripts and the JSON of the strings (nothing inline runs under the CSP).
    scripts = re.findall(r"<script[^>]*>", content)
    assert scripts and all(" src=" in tag or 'type="application/json"' in tag for tag in scripts), scripts
    assert reverse("schedules:queue-state", args=[session.pk]) in content
    assert citizen.nik not in content and citizen.full_name not in content
    assert OutreachSession.objects.count() == 1
