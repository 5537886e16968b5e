"""/api/v1/blanks/locations/ and /api/v1/blanks/movements/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from blanks.models import StockMovement
from blanks.services import blank_issue_for_printing
from regions.models import Kecamatan
from registrations.models import ServiceRequest
from tests.factories import CitizenFactory, StockLocationFactory, staff_user, stocked_location

LOCATIONS = "/api/v1/blanks/locations/"
MOVEMENTS = "/api/v1/blanks/movements/"

pytestmark = pytest.mark.django_db


def client_for(*roles, kecamatan=()) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user(*roles, kecamatan=kecamatan))
    return client


@pytest.fixture
def supervisor(regions):
    return client_for("supervisor")


def _issue(location, count: int, when: dt.datetime) -> None:
    citizen = CitizenFactory()
    for _ in range(count):
        request = ServiceRequest.objects.create(
            citizen=citizen,
            service="printing",
            reason="damaged",
            channel="office",
            status="completed",
            submitted_at=when,
            completed_at=when,
        )
        blank_issue_for_printing(location=location, service_request=request, actor=None, now=when)


def test_locations_show_balance_threshold_and_days_of_cover(supervisor):
    location = stocked_location(100, code="KEC-01", low_stock_threshold=50)
    _issue(location, 14, timezone.now() - dt.timedelta(days=2))  # 2 a day over the last week
    _issue(location, 30, timezone.now() - dt.timedelta(days=9))  # outside the window
    response = supervisor.get(f"{LOCATIONS}KEC-01/")
    assert response.status_code == 200
    body = response.json()
    assert body["balance"] == 56 and body["low_stock_threshold"] == 50
    assert (body["issued_last_7_days"], body["daily_issue_rate"], body["days_of_cover"]) == (
        14,
        "2.00",
        "28.0",
    )
    assert body["low_stock"] is False
    assert body["runs_out_on"] == (timezone.localdate() + dt.timedelta(days=28)).isoformat()


def test_a_location_below_its_threshold_is_flagged_low(supervisor):
    stocked_location(10, code="MOBIL-1", low_stock_threshold=20)
    body = supervisor.get(LOCATIONS).json()["results"][0]
    assert (body["balance"], body["days_of_cover"], body["low_stock"]) == (10, None, True)


def test_a_supervisor_adds_a_location_and_changes_its_threshold(supervisor):
    payload = {
        "code": "KEC-03",
        "name": "Kantor Kecamatan Jati",
        "kind": "kecamatan_office",
        "kecamatan": "33.19.03",
    }
    created = supervisor.post(LOCATIONS, {**payload, "low_stock_threshold": 25})
    assert created.status_code == 201, created.json()
    assert created.json()["kecamatan"] == "33.19.03" and created.json()["balance"] == 0
    changed = supervisor.patch(f"{LOCATIONS}KEC-03/", {"low_stock_threshold": 40})
    assert changed.status_code == 200 and changed.json()["low_stock_threshold"] == 40
    duplicate = supervisor.post(LOCATIONS, payload)
    assert duplicate.status_code == 400 and "code" in duplicate.json()["fields"]


def test_operators_and_viewers_cannot_add_locations(regions):
    payload = {"code": "X", "name": "X", "kind": "mobile_unit"}
    assert client_for("operator").post(LOCATIONS, payload).status_code == 403
    viewer = client_for("viewer")
    assert viewer.post(LOCATIONS, payload).status_code == 403
    assert viewer.get(LOCATIONS).status_code == 200


def test_posting_the_same_receipt_twice_creates_one_movement(supervisor):
    stocked_location(0, code="PUSAT")
    payload = {"kind": "receipt", "location": "PUSAT", "quantity": 2000, "reference": "SJ-KEMENDAGRI-0105"}
    first = supervisor.post(MOVEMENTS, payload)
    second = supervisor.post(MOVEMENTS, payload)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert StockMovement.objects.filter(kind="receipt", reference="SJ-KEMENDAGRI-0105").count() == 1
    assert supervisor.get(f"{LOCATIONS}PUSAT/").json()["balance"] == 2000


def test_a_receipt_without_reference_is_400(supervisor):
    stocked_location(0, code="PUSAT")
    response = supervisor.post(MOVEMENTS, {"kind": "receipt", "location": "PUSAT", "quantity": 5})
    assert response.status_code == 400 and "reference" in response.json()["fields"]


def test_a_transfer_moves_blanks_and_shows_both_ends(supervisor):
    stocked_location(100, code="PUSAT")
    StockLocationFactory(code="KEC-01")
    payload = {
        "kind": "transfer",
        "location": "PUSAT",
        "to_location": "KEC-01",
        "quantity": 40,
        "reference": "TR-7",
    }
    response = supervisor.post(MOVEMENTS, payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["location"], body["to_location"], body["quantity"], body["delta"]) == (
        "PUSAT",
        "KEC-01",
        40,
        -40,
    )
    incoming = supervisor.get(MOVEMENTS, {"location": "KEC-01", "kind": "transfer"}).json()["results"]
    assert [(m["from_location"], m["delta"]) for m in incoming] == [("PUSAT", 40)]
    assert supervisor.post(MOVEMENTS, payload).json()["id"] == body["id"]


def test_a_transfer_needs_a_receiving_location_and_enough_stock(supervisor):
    stocked_location(5, code="PUSAT")
    StockLocationFactory(code="KEC-01")
    missing = supervisor.post(
        MOVEMENTS, {"kind": "transfer", "location": "PUSAT", "quantity": 1, "reference": "T"}
    )
    assert missing.status_code == 400 and "to_location" in missing.json()["fields"]
    short = supervisor.post(
        MOVEMENTS,
        {"kind": "transfer", "location": "PUSAT", "to_location": "KEC-01", "quantity": 6, "reference": "T"},
    )
    assert short.status_code == 409 and short.json()["code"] == "out_of_stock"


def test_issues_cannot_be_posted_directly(supervisor):
    stocked_location(5, code="PUSAT")
    response = supervisor.post(MOVEMENTS, {"kind": "issue", "location": "PUSAT", "quantity": 1})
    assert response.status_code == 400 and "kind" in response.json()["fields"]


def test_only_admin_and_supervisor_may_post_adjustments(regions):
    kaliwungu = Kecamatan.objects.get(code="33.19.01")
    stocked_location(10, code="KEC-01", kecamatan=kaliwungu)
    payload = {"kind": "adjustment", "location": "KEC-01", "quantity": -2, "reason": "Stock opname Januari"}
    operator = client_for("operator", kecamatan=("33.19.01",))
    refused = operator.post(MOVEMENTS, payload)
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    accepted = client_for("supervisor").post(MOVEMENTS, payload)
    assert accepted.status_code == 201 and accepted.json()["quantity"] == -2
    spoiled = operator.post(
        MOVEMENTS, {"kind": "spoilage", "location": "KEC-01", "quantity": 1, "reason": "Salah cetak"}
    )
    assert spoiled.status_code == 201 and spoiled.json()["balance_after"] == 7


def test_operators_use_only_the_locations_of_their_kecamatan(regions):
    stocked_location(10, code="KEC-03", kecamatan=Kecamatan.objects.get(code="33.19.03"))
    stocked_location(10, code="MOBIL-1")
    operator = client_for("operator", kecamatan=("33.19.01",))
    assert [loc["code"] for loc in operator.get(LOCATIONS).json()["results"]] == ["MOBIL-1"]
    assert operator.get(f"{LOCATIONS}KEC-03/").status_code == 404
    response = operator.post(
        MOVEMENTS, {"kind": "spoilage", "location": "KEC-03", "quantity": 1, "reason": "x"}
    )
    assert response.status_code == 400 and "location" in response.json()["fields"]


def test_the_movement_list_filters_by_kind_location_and_date(supervisor):
    stocked_location(10, code="PUSAT")
    stocked_location(10, code="KEC-01")
    today = timezone.localdate().isoformat()
    assert supervisor.get(MOVEMENTS, {"kind": "receipt"}).json()["count"] == 2
    assert supervisor.get(MOVEMENTS, {"location": "PUSAT"}).json()["count"] == 1
    assert supervisor.get(MOVEMENTS, {"date": today}).json()["count"] == 2
    assert supervisor.get(MOVEMENTS, {"date": "2024-02-14"}).json()["count"] == 0
