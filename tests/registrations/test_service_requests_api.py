"""/api/v1/service-requests/: payloads, scoping, workflow actions and the error shape."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from regions.models import Kecamatan
from registrations.models import ServiceRequest
from registrations.services.service_requests import service_request_create, service_request_start
from tests.factories import CitizenFactory, printable_citizen, staff_user, stocked_location

URL = "/api/v1/service-requests/"

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(operator):
    return client_for(operator)


def kaliwungu_citizen(**fields):
    return printable_citizen(desa_id="33.19.01.2001", **fields)


def jati_citizen(**fields):
    return printable_citizen(desa_id="33.19.03.2001", area6="331903", **fields)


def _submitted(citizen, service="printing", location=None) -> ServiceRequest:
    return service_request_create(
        citizen=citizen, service=service, reason="new", channel="kecamatan", location=location
    )


def test_an_operator_submits_a_request_by_nik_and_gets_it_back_with_its_event(api, operator):
    citizen = kaliwungu_citizen()
    location = stocked_location(5, code="KEC-01")
    response = api.post(
        URL,
        {
            "citizen": citizen.nik,
            "service": "printing",
            "reason": "new",
            "channel": "kecamatan",
            "location": "KEC-01",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "submitted" and body["location"] == location.code
    assert body["citizen"] == {"id": citizen.pk, "nik": citizen.masked_nik, "full_name": citizen.full_name}
    assert citizen.nik not in response.content.decode()
    assert body["submitted_by"] == operator.username
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in body["events"]] == [
        ("", "submitted", operator.username)
    ]


def test_a_citizen_outside_the_operators_kecamatan_is_unknown(api):
    citizen = jati_citizen()
    response = api.post(URL, {"citizen": citizen.nik, "service": "printing", "channel": "kecamatan"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "citizen" in response.json()["fields"]
    assert not ServiceRequest.objects.exists()


def test_an_ineligible_citizen_gets_not_eligible(api):
    citizen = CitizenFactory(birth_date=dt.date(2015, 1, 1))
    response = api.post(URL, {"citizen": citizen.nik, "service": "recording", "channel": "school"})
    assert response.status_code == 400
    assert response.json()["code"] == "not_eligible" and response.json()["detail"]


def test_a_second_open_request_is_a_409_conflict(api):
    citizen = kaliwungu_citizen()
    payload = {"citizen": citizen.nik, "service": "ikd_activation", "channel": "office"}
    assert api.post(URL, payload).status_code == 201
    response = api.post(URL, payload)
    assert response.status_code == 409 and response.json()["code"] == "already_open"


def test_bad_choices_are_400_with_field_messages(api):
    response = api.post(URL, {"citizen": "123", "service": "passport", "channel": "office"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"citizen", "service"}


def test_requests_outside_the_operators_kecamatan_are_404_for_reading_and_actions(api):
    other = _submitted(jati_citizen())
    assert api.get(f"{URL}{other.pk}/").status_code == 404
    assert api.post(f"{URL}{other.pk}/start/", {}).status_code == 404
    assert api.post(f"{URL}{other.pk}/cancel/", {"reason": "x"}).status_code == 404
    assert api.get(URL).json()["count"] == 0
    other.refresh_from_db()
    assert other.status == "submitted"


def test_a_supervisor_sees_every_kecamatan_and_a_viewer_sees_no_requests(regions):
    _submitted(jati_citizen())
    _submitted(kaliwungu_citizen())
    assert client_for(staff_user("supervisor")).get(URL).json()["count"] == 2
    assert client_for(staff_user("viewer")).get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


def test_start_then_complete_a_printing_draws_one_blank_and_returns_the_events(api, operator):
    location = stocked_location(3, code="KEC-01", kecamatan=Kecamatan.objects.get(code="33.19.01"))
    sr = _submitted(kaliwungu_citizen(), location=location)
    started = api.post(f"{URL}{sr.pk}/start/", {})
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert started.json()["served_by"] == operator.username

    completed = api.post(f"{URL}{sr.pk}/complete/", {"location": "KEC-01"})
    assert completed.status_code == 200, completed.json()
    body = completed.json()
    assert body["status"] == "completed" and body["completed_at"]
    assert [e["to_status"] for e in body["events"]] == ["submitted", "in_progress", "completed"]
    assert client_for(operator).get("/api/v1/blanks/locations/KEC-01/").json()["balance"] == 2


def test_completing_a_printing_without_blanks_is_409_out_of_stock(api):
    location = stocked_location(0, code="KEC-01")
    sr = service_request_start(service_request=_submitted(kaliwungu_citizen(), location=location), actor=None)
    response = api.post(f"{URL}{sr.pk}/complete/", {})
    assert response.status_code == 409 and response.json()["code"] == "out_of_stock"
    sr.refresh_from_db()
    assert sr.status == "in_progress"


def test_completing_a_submitted_request_is_409_illegal_transition(api):
    sr = _submitted(kaliwungu_citizen(), service="ikd_activation")
    response = api.post(f"{URL}{sr.pk}/complete/", {})
    assert response.status_code == 409 and response.json()["code"] == "illegal_transition"


def test_cancel_and_reject_need_a_reason(api):
    sr = _submitted(kaliwungu_citizen())
    missing = api.post(f"{URL}{sr.pk}/reject/", {})
    assert missing.status_code == 400 and "reason" in missing.json()["fields"]
    response = api.post(f"{URL}{sr.pk}/reject/", {"reason": "Dokumen tidak lengkap"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["status_reason"]) == (
        "rejected",
        "Dokumen tidak lengkap",
    )
    assert response.json()["events"][-1]["reason"] == "Dokumen tidak lengkap"
    again = api.post(f"{URL}{sr.pk}/cancel/", {"reason": "x"})
    assert again.status_code == 409


def test_the_list_filters_by_service_status_kecamatan_and_local_date(regions):
    supervisor = client_for(staff_user("supervisor"))
    day = dt.datetime(2024, 2, 3, 16, 30, tzinfo=dt.UTC)  # 23:30 WIB on 3 Feb
    service_request_create(
        citizen=kaliwungu_citizen(), service="printing", reason="new", channel="cfd", now=day
    )
    service_request_create(
        citizen=jati_citizen(),
        service="ikd_activation",
        reason="new",
        channel="cfd",
        now=day + dt.timedelta(hours=1),
    )  # 00:30 WIB on 4 Feb

    def count(**params) -> int:
        response = supervisor.get(URL, params)
        assert response.status_code == 200, response.json()
        return response.json()["count"]

    assert count(service="printing") == 1
    assert count(status="submitted") == 2 and count(status="completed") == 0
    assert count(kecamatan="33.19.03") == 1
    assert count(date="2024-02-03") == 1 and count(date="2024-02-04") == 1
    assert count(date_from="2024-02-04") == 1 and count(date_to="2024-02-04") == 2


def test_the_list_takes_a_fixed_number_of_queries(api):
    location = stocked_location(10, code="KEC-01")

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as context:
            response = api.get(URL)
        assert response.status_code == 200
        return len(context)

    for _ in range(2):
        service_request_start(service_request=_submitted(kaliwungu_citizen(), location=location), actor=None)
    few = queries_for_list()
    for _ in range(8):
        service_request_start(service_request=_submitted(kaliwungu_citizen(), location=location), actor=None)
    assert queries_for_list() <= few  # no query per row (citizen, desa, location, events, actors)
    assert few <= 12  # auth roles, throttle cache, scope, count, page, events
