"""Staff side: roles that see masked NIKs cannot recover a full NIK by prefix search, every NIK
search is in the access log, and staff without a role write nothing (issue 13)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.models import AuditEvent
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(operator):
    return CitizenFactory()  # lives in Kaliwungu, the operator's kecamatan


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_masked_role_finds_nobody_by_a_nik_prefix_and_is_told_to_type_it_whole(operator, resident):
    response = _api(operator).get("/api/v1/citizens/", {"q": resident.nik[:12]})
    assert response.status_code == 400
    assert "16" in str(response.json())
    exact = _api(operator).get("/api/v1/citizens/", {"q": resident.nik})
    assert exact.status_code == 200 and len(exact.json()["results"]) == 1


def test_the_dashboard_refuses_a_prefix_for_a_masked_role(client, operator, resident):
    client.force_login(operator)
    page = client.get("/dashboard/citizens/", {"q": resident.nik[:14]})
    assert page.status_code == 200
    assert resident.masked_nik not in page.content.decode()
    assert "16" in page.content.decode()
    page = client.get("/dashboard/requests/", {"q": resident.nik[:14], "status": ""})
    assert page.status_code in (200, 400)


def test_roles_with_full_nik_keep_the_prefix_search(supervisor, resident):
    response = _api(supervisor).get("/api/v1/citizens/", {"q": resident.nik[:12]})
    assert response.status_code == 200 and len(response.json()["results"]) >= 1


def test_every_nik_search_is_in_the_access_log_without_the_nik(operator, supervisor, resident):
    _api(operator).get("/api/v1/citizens/", {"q": resident.nik})
    _api(supervisor).get("/api/v1/citizens/", {"q": resident.nik[:10]})
    events = list(AuditEvent.objects.filter(action__startswith="NIK search").order_by("pk"))
    assert [(e.actor, e.action) for e in events] == [
        (operator, "NIK search (16 digits)"),
        (supervisor, "NIK search (10 digits)"),
    ]
    assert f"citizen {resident.pk}" in events[0].target
    assert all(resident.nik[:10] not in e.target + e.action + e.reason for e in events)


def test_staff_without_a_role_cannot_write(no_role_staff, client):
    # Found live: POST /api/v1/coverage/recompute/ answered 202 to a user in no group.
    response = _api(no_role_staff).post("/api/v1/coverage/recompute/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    client.force_login(no_role_staff)
    assert client.post("/dashboard/coverage/recompute/").status_code == 403
