from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from schedules.models import Appointment, OutreachSession, QueueTicket, Slot
from tests.factories import OutreachSessionFactory, citizen_aged, staff_user


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def day():
    return timezone.localdate() + dt.timedelta(days=4)


@pytest.fixture
def session(regions, day):
    return OutreachSessionFactory(
        date=day, kecamatan="33.19.01", services=["recording", "printing"], slot_capacity=1
    )


def slot_of(session, index=0) -> Slot:
    return session.slots.order_by("starts_at")[index]


def booking(citizen, the_slot, **overrides):
    body = {
        "nik": citizen.nik,
        "kk": citizen.kk,
        "service": "recording",
        "reason": "new",
        "slot": the_slot.pk,
    }
    return {**body, **overrides}


def test_the_public_session_list_has_slots_with_remaining_places(api, session, regions, day):
    OutreachSessionFactory(date=day, kind="cfd", kecamatan="33.19.02", services=["ikd_activation"])
    OutreachSessionFactory(date=day, published=False)
    response = api.get("/api/v1/sessions/")
    assert response.status_code == 200
    assert response.json()["count"] == 2
    first = next(item for item in response.json()["results"] if item["id"] == session.pk)
    assert first["services"] == ["recording", "printing"]
    assert first["kecamatan"] == "33.19.01"
    assert len(first["slots"]) == 12
    assert set(first["slots"][0]) >= {"id", "start", "end", "capacity", "remaining"}
    assert first["slots"][0]["start"].endswith("+07:00")
    assert first["slots"][0]["remaining"] == 1


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("service=ikd_activation", 1),
        ("kecamatan=33.19.02", 1),
        ("kind=kecamatan", 1),
        ("date_from=2000-01-01", 2),
        ("date_to=2000-01-01", 0),
    ],
)
def test_the_public_session_list_filters(api, session, regions, day, query, count):
    OutreachSessionFactory(date=day, kind="cfd", kecamatan="33.19.02", services=["ikd_activation"])
    assert api.get(f"/api/v1/sessions/?{query}").json()["count"] == count


def test_a_bad_filter_is_a_clean_400(api, session):
    response = api.get("/api/v1/sessions/?date_from=yesterday")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "date_from" in response.json()["fields"]


def test_the_session_list_query_count_is_flat(api, regions, day, django_assert_max_num_queries):
    for offset in range(6):
        OutreachSessionFactory(date=day + dt.timedelta(days=offset))
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/sessions/").status_code == 200


def test_booking_through_the_api(api, session, day):
    citizen = citizen_aged(20, on=day)
    response = api.post(
        "/api/v1/appointments/", booking(citizen, slot_of(session), email="w@example.id"), format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"code", "manage_token", "status", "slot", "session", "service"}
    assert body["status"] == "active" and body["service"] == "recording"
    assert body["slot"]["id"] == slot_of(session).pk and body["session"]["id"] == session.pk
    appointment = Appointment.objects.get(code=body["code"])
    assert appointment.manage_token_hash != body["manage_token"]
    got = api.get(f"/api/v1/appointments/{body['code']}/?token={body['manage_token']}")
    assert got.status_code == 200 and got.json()["status"] == "active"
    # Read with the token (the public): the masked NIK only, no id and no name.
    assert got.json()["citizen"] == {"id": None, "nik": citizen.masked_nik, "full_name": None}
    assert api.get(f"/api/v1/appointments/{body['code']}/?token=wrong").status_code == 404
    assert api.get(f"/api/v1/appointments/{body['code']}/").json()["code"] == "not_found"


def test_a_full_slot_is_409_slot_full_and_an_ineligible_citizen_400_not_eligible(api, session, day):
    slot = slot_of(session)
    assert (
        api.post("/api/v1/appointments/", booking(citizen_aged(20, on=day), slot), format="json").status_code
        == 201
    )
    full = api.post("/api/v1/appointments/", booking(citizen_aged(21, on=day), slot), format="json")
    assert full.status_code == 409
    assert full.json()["code"] == "slot_full" and full.json()["detail"]
    sixteen = citizen_aged(16, on=day, days_after_birthday=5)
    refused = api.post(
        "/api/v1/appointments/", booking(sixteen, slot_of(session, 1), service="printing"), format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "not_eligible"
    assert Appointment.objects.count() == 1


def test_api_input_errors_use_the_one_error_shape(api, session, day):
    citizen = citizen_aged(20, on=day)
    bad = api.post(
        "/api/v1/appointments/", booking(citizen, slot_of(session), nik="12", phone="<b>"), format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid" and {"nik", "phone"} <= set(bad.json()["fields"])
    unknown = api.post(
        "/api/v1/appointments/", booking(citizen, slot_of(session), nik="3319011705009999"), format="json"
    )
    assert unknown.json()["code"] == "identity_mismatch"
    no_slot = api.post(
        "/api/v1/appointments/", booking(citizen, slot_of(session), slot=999999), format="json"
    )
    assert no_slot.status_code == 400 and "slot" in no_slot.json()["fields"]
    assert not Appointment.objects.exists()


def test_cancel_and_reschedule_need_the_token(api, session, day):
    body = api.post(
        "/api/v1/appointments/", booking(citizen_aged(20, on=day), slot_of(session)), format="json"
    ).json()
    code, token = body["code"], body["manage_token"]
    assert (
        api.post(
            f"/api/v1/appointments/{code}/reschedule/", {"slot": slot_of(session, 3).pk}, format="json"
        ).status_code
        == 404
    )
    moved = api.post(
        f"/api/v1/appointments/{code}/reschedule/",
        {"token": token, "slot": slot_of(session, 3).pk},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["slot"]["id"] == slot_of(session, 3).pk
    assert Slot.objects.get(pk=slot_of(session).pk).booked == 0
    assert (
        api.post(f"/api/v1/appointments/{code}/cancel/", {"token": "bad"}, format="json").status_code == 404
    )
    cancelled = api.post(f"/api/v1/appointments/{code}/cancel/?token={token}", format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert Slot.objects.get(pk=slot_of(session, 3).pk).booked == 0
    again = api.post(
        f"/api/v1/appointments/{code}/reschedule/",
        {"token": token, "slot": slot_of(session, 4).pk},
        format="json",
    )
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"


def test_anonymous_booking_is_rate_limited_per_address_and_staff_per_user(api, session, day, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "booking_anon": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    for index in range(2):
        api.post(
            "/api/v1/appointments/",
            booking(citizen_aged(20, on=day, days_after_birthday=index), slot_of(session, index)),
            format="json",
        )
    limited = api.post(
        "/api/v1/appointments/", booking(citizen_aged(30, on=day), slot_of(session, 5)), format="json"
    )
    assert limited.status_code == 429
    assert limited.json()["code"] == "throttled" and "Retry-After" in limited
    staff = staff_user("field", kecamatan=("33.19.01",))
    api.force_authenticate(staff)
    walk_in = api.post(
        "/api/v1/appointments/", booking(citizen_aged(31, on=day), slot_of(session, 6)), format="json"
    )
    assert walk_in.status_code == 201
    assert Appointment.objects.get(code=walk_in.json()["code"]).booked_by == staff


def test_staff_list_appointments_of_their_kecamatan_with_filters(api, session, regions, day):
    other = OutreachSessionFactory(date=day, kecamatan="33.19.05")
    citizen = citizen_aged(20, on=day)
    mine = api.post("/api/v1/appointments/", booking(citizen, slot_of(session)), format="json").json()
    api.post("/api/v1/appointments/", booking(citizen_aged(21, on=day), slot_of(other)), format="json")
    assert api.get("/api/v1/appointments/").status_code in (401, 403)
    operator = staff_user("operator", kecamatan=("33.19.01",))
    api.force_authenticate(operator)
    listed = api.get("/api/v1/appointments/").json()
    assert [item["code"] for item in listed["results"]] == [mine["code"]]
    assert listed["results"][0]["citizen"] == {
        "id": citizen.pk, "nik": citizen.masked_nik, "full_name": citizen.full_name
    }  # fmt: skip
    assert api.get(f"/api/v1/appointments/?session={other.pk}").json()["count"] == 0
    assert api.get("/api/v1/appointments/?status=cancelled").json()["count"] == 0
    assert api.get(f"/api/v1/appointments/?date={day.isoformat()}&service=recording").json()["count"] == 1
    admin = staff_user("admin")
    api.force_authenticate(admin)
    assert api.get("/api/v1/appointments/").json()["count"] == 2


def test_staff_create_a_session_and_get_its_slots(api, regions, day):
    body = {
        "kind": "kecamatan",
        "title": "Pelayanan Kecamatan Jati",
        "venue": "Kantor Kecamatan Jati",
        "kecamatan": "33.19.03",
        "date": day.isoformat(),
        "start_time": "08:00",
        "end_time": "11:00",
        "services": ["recording", "printing"],
        "desks": 3,
        "slot_minutes": 15,
        "slot_capacity": 9,
    }
    assert api.post("/api/v1/sessions/", body, format="json").status_code in (401, 403)
    operator = staff_user("operator", kecamatan=("33.19.01",))
    api.force_authenticate(operator)
    assert api.post("/api/v1/sessions/", body, format="json").status_code == 403  # not their kecamatan
    api.force_authenticate(staff_user("supervisor"))
    created = api.post("/api/v1/sessions/", body, format="json")
    assert created.status_code == 201
    data = created.json()
    assert data["venue"] == "Kantor Kecamatan Jati" and data["kecamatan"] == "33.19.03"
    assert len(data["slots"]) == 12 and {slot["capacity"] for slot in data["slots"]} == {9}
    bad = api.post("/api/v1/sessions/", {**body, "end_time": "07:00"}, format="json")
    assert (
        bad.status_code == 400
        and bad.json()["code"] == "invalid_session"
        and "end_time" in bad.json()["fields"]
    )


def test_staff_create_a_series(api, regions):
    api.force_authenticate(staff_user("admin"))
    body = {
        "kind": "cfd",
        "title": "CFD Simpang Tujuh",
        "venue": "Alun-alun Simpang Tujuh",
        "kecamatan": "33.19.02",
        "start_date": "2024-02-01",
        "end_date": "2024-02-29",
        "weekdays": [6],
        "start_time": "06:00",
        "end_time": "09:00",
        "services": ["recording", "printing", "ikd_activation"],
    }
    response = api.post("/api/v1/series/", body, format="json")
    assert response.status_code == 201
    assert response.json()["sessions"] == ["2024-02-04", "2024-02-11", "2024-02-18", "2024-02-25"]
    assert OutreachSession.objects.filter(series_id=response.json()["id"]).count() == 4


def test_staff_cancel_a_session_and_remove_a_slot_through_the_api(api, session, day):
    body = api.post(
        "/api/v1/appointments/", booking(citizen_aged(20, on=day), slot_of(session, 2)), format="json"
    ).json()
    api.force_authenticate(staff_user("operator", kecamatan=("33.19.01",)))
    removed = api.post(
        f"/api/v1/sessions/{session.pk}/slots/{slot_of(session, 2).pk}/remove/",
        {"reason": "listrik padam"},
        format="json",
    )
    assert removed.status_code == 200 and removed.json()["cancelled_appointments"] == 1
    assert Appointment.objects.get(code=body["code"]).cancel_reason == "slot_removed"
    cancelled = api.post(f"/api/v1/sessions/{session.pk}/cancel/", {"reason": "banjir"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["session"]["status"] == "cancelled"


def test_check_in_by_code_gives_a_queue_number(api, regions):
    from schedules.services import appointment_book

    today = timezone.localdate()
    session = OutreachSessionFactory(date=today, start_time=dt.time(0, 0), end_time=dt.time(23, 45))
    citizen = citizen_aged(20, on=today)
    start_of_day = timezone.make_aware(dt.datetime.combine(today, dt.time(0, 0)))
    code = appointment_book(
        slot=session.slots.order_by("-starts_at").first(),
        citizen=citizen,
        service="recording",
        reason="new",
        now=start_of_day,
    ).appointment.code
    api.force_authenticate(staff_user("field", kecamatan=("33.19.01",)))
    checked = api.post(f"/api/v1/appointments/{code.lower()}/check-in/")
    assert checked.status_code == 200
    assert checked.json()["number"] == 1 and checked.json()["code"] == code
    assert checked.json()["service_request"] is not None
    again = api.post(f"/api/v1/appointments/{code}/check-in/")
    assert again.json()["number"] == 1  # scanned twice: the same ticket
    assert QueueTicket.objects.count() == 1
    api.force_authenticate(staff_user("field", kecamatan=("33.19.05",)))
    assert api.post(f"/api/v1/appointments/{code}/check-in/").status_code == 404  # out of scope


def test_the_schema_documents_the_booking_errors(api):
    schema = api.get("/api/schema/?format=json").json()
    create = schema["paths"]["/api/v1/appointments/"]["post"]
    assert {"201", "400", "409", "429"} <= set(create["responses"])
    assert "/api/v1/appointments/{code}/check-in/" in schema["paths"]


def test_the_staff_appointment_list_query_count_is_flat(api, regions, day, django_assert_max_num_queries):
    from schedules.services import appointment_book

    session = OutreachSessionFactory(date=day, slot_capacity=5)
    for index in range(8):
        appointment_book(
            slot=slot_of(session, index % 3),
            citizen=citizen_aged(20, on=day, days_after_birthday=index),
            service="recording",
            reason="new",
        )
    api.force_authenticate(staff_user("admin"))
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/appointments/")
    assert response.json()["count"] == 8
