"""A resident has one shape in every API answer: `citizen` = {id, nik, full_name} on appointments
and service requests, and the same three fields on the citizens endpoint."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests.factories import staff_user


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def ref(citizen, *, nik: str | None = None) -> dict:
    return {"id": citizen.pk, "nik": nik or citizen.masked_nik, "full_name": citizen.full_name}


def test_a_resident_is_named_alike_on_appointments_service_requests_and_citizens(world):
    api = client_for(staff_user("operator", kecamatan=(world.mine.kecamatan,)))
    booked, requested = world.mine.appointment, world.mine.service_request

    listed = api.get("/api/v1/appointments/").json()["results"]
    one_booking = api.get(f"/api/v1/appointments/{booked.code}/").json()
    one_request = api.get(f"/api/v1/service-requests/{requested.pk}/").json()
    requests = api.get("/api/v1/service-requests/").json()["results"]
    citizen = api.get(f"/api/v1/citizens/{booked.citizen.pk}/").json()

    assert [item["citizen"] for item in listed] == [ref(booked.citizen)]
    assert one_booking["citizen"] == ref(booked.citizen)
    assert one_request["citizen"] == ref(requested.citizen)
    assert [item["citizen"] for item in requests] == [ref(requested.citizen)]
    assert {key: citizen[key] for key in ("id", "nik", "full_name")} == ref(booked.citizen)


def test_a_full_nik_only_where_the_role_saw_it_before_the_citizens_endpoint(world):
    api = client_for(staff_user("supervisor"))  # holds registrations.view_full_nik
    booked, requested = world.mine.appointment, world.mine.service_request

    citizen = api.get(f"/api/v1/citizens/{booked.citizen.pk}/").json()
    listed = api.get("/api/v1/citizens/", {"q": booked.citizen.nik}).json()["results"]
    booking = api.get(f"/api/v1/appointments/{booked.code}/").json()
    request = api.get(f"/api/v1/service-requests/{requested.pk}/").json()

    assert citizen["nik"] == booked.citizen.nik
    assert [row["nik"] for row in listed] == [booked.citizen.nik]
    # Bookings and requests name the resident with the masked NIK, for every role, as before.
    assert booking["citizen"] == ref(booked.citizen)
    assert request["citizen"] == ref(requested.citizen)


def test_operators_never_get_a_full_nik_from_the_citizens_endpoint(world):
    api = client_for(staff_user("operator", kecamatan=(world.mine.kecamatan,)))
    resident = world.mine.citizen

    body = api.get(f"/api/v1/citizens/{resident.pk}/").json()

    assert body["nik"] == resident.masked_nik != resident.nik


def test_a_booking_read_with_its_token_names_no_one(world):
    booked = world.mine.appointment
    path = f"/api/v1/appointments/{booked.code}/"
    outsider = client_for(staff_user("operator", kecamatan=(world.other.kecamatan,)))

    public = client_for().get(path, {"token": world.mine.manage_token}).json()
    # Desk staff of another kecamatan are one more member of the public here.
    by_token = outsider.get(path, {"token": world.mine.manage_token}).json()
    cancelled = client_for().post(f"{path}cancel/", {"token": world.mine.manage_token}, format="json")

    masked_only = {"id": None, "nik": booked.citizen.masked_nik, "full_name": None}
    assert public["citizen"] == by_token["citizen"] == masked_only
    assert cancelled.status_code == 200
    assert cancelled.json()["citizen"] == masked_only
    assert booked.citizen.full_name not in cancelled.content.decode()


def test_staff_who_cancel_a_booking_of_their_kecamatan_see_whose_it_was(world):
    booked = world.mine.appointment
    api = client_for(staff_user("operator", kecamatan=(world.mine.kecamatan,)))

    response = api.post(f"/api/v1/appointments/{booked.code}/cancel/", {}, format="json")

    assert response.status_code == 200
    assert response.json()["citizen"] == ref(booked.citizen)
