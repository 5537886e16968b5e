"""Staff record a resident's correction request from the citizen page; it is in the requests list
and is completed like any other request."""

from __future__ import annotations

import pytest

from registrations.models import ServiceRequest
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(regions):
    return CitizenFactory(full_name="Budi Santoso")


def test_an_operator_records_a_correction_from_the_citizen_page(as_user, operator, citizen):
    client = as_user(operator)
    page = client.get(f"/dashboard/citizens/{citizen.pk}/").content.decode()
    assert f'href="/dashboard/citizens/{citizen.pk}/correction/"' in page
    form = client.get(f"/dashboard/citizens/{citizen.pk}/correction/")
    assert form.status_code == 200 and 'data-testid="correction-form"' in form.content.decode()

    response = client.post(
        f"/dashboard/citizens/{citizen.pk}/correction/",
        {"field": "full_name", "requested": "Budi Santosa", "channel": "kecamatan"},
    )
    request = ServiceRequest.objects.get(citizen=citizen)
    assert response.status_code == 302 and response["Location"] == f"/dashboard/requests/{request.pk}/"
    assert (request.service, request.channel, request.submitted_by) == ("correction", "kecamatan", operator)
    detail = client.get(response["Location"]).content.decode()
    assert "Budi Santosa" in detail and "data correction" in detail

    listed = client.get("/dashboard/requests/", {"service": "correction"}).content.decode()
    assert f"/dashboard/requests/{request.pk}/" in listed

    client.post(f"/dashboard/requests/{request.pk}/start/")
    client.post(f"/dashboard/requests/{request.pk}/complete/")
    request.refresh_from_db()
    assert request.status == "completed"


def test_a_missing_change_is_shown_on_the_form(as_user, operator, citizen):
    response = as_user(operator).post(
        f"/dashboard/citizens/{citizen.pk}/correction/",
        {"field": "full_name", "requested": "", "channel": "office"},
    )
    assert response.status_code == 400 and 'class="errorlist"' in response.content.decode()
    hostile = as_user(operator).post(
        f"/dashboard/citizens/{citizen.pk}/correction/",
        {"field": "nik", "requested": "x", "channel": "office"},
    )
    assert hostile.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_another_kecamatan_is_404_and_viewers_403(as_user, jati_operator, viewer, citizen):
    data = {"field": "address", "requested": "RT 1", "channel": "office"}
    assert (
        as_user(jati_operator).post(f"/dashboard/citizens/{citizen.pk}/correction/", data).status_code == 404
    )
    assert as_user(viewer).post(f"/dashboard/citizens/{citizen.pk}/correction/", data).status_code == 403
    assert as_user(viewer).get(f"/dashboard/citizens/{citizen.pk}/correction/").status_code == 403
    assert not ServiceRequest.objects.exists()
