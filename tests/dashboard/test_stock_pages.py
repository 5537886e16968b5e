"""Blank stock for staff: balances and alerts, the ledger, and the movement forms."""

from __future__ import annotations

import pytest

from blanks.models import StockAlert, StockMovement
from blanks.services import blank_spoil, stock_alerts_check
from regions.models import Kecamatan
from tests.factories import stocked_location


@pytest.fixture
def locations(regions):
    mine = stocked_location(
        40,
        code="KEC-KLW",
        name="Kecamatan Kaliwungu",
        kecamatan=Kecamatan.objects.get(pk="33.19.01"),
        low_stock_threshold=50,
    )
    theirs = stocked_location(
        300, code="KEC-JTI", name="Kecamatan Jati", kecamatan=Kecamatan.objects.get(pk="33.19.03")
    )
    main = stocked_location(1000, code="MAIN", name="Kantor Disdukcapil", kind="main_office")
    return mine, theirs, main


def test_balances_show_threshold_cover_and_open_alerts_in_scope(
    as_user, operator, locations, django_assert_max_num_queries
):
    for number in range(5):
        stocked_location(number + 1, code=f"MOBIL-{number}", name=f"Mobil {number}", kind="mobile_unit")
    stock_alerts_check()
    client = as_user(operator)
    with django_assert_max_num_queries(8):
        page = client.get("/dashboard/stock/").content.decode()
    assert page.count("Mobil ") == 5
    assert "Kecamatan Kaliwungu" in page and "Kantor Disdukcapil" in page  # own kecamatan + unassigned
    assert "Kecamatan Jati" not in page
    alert = StockAlert.objects.get(resolved_at__isnull=True)
    assert alert.location == locations[0]
    assert "Open low-stock alerts" in page and alert.message in page
    assert client.get("/dashboard/stock/locations/KEC-KLW/").status_code == 200
    assert client.get("/dashboard/stock/locations/KEC-JTI/").status_code == 404


def test_the_ledger_filters_and_runs_a_fixed_number_of_queries(
    as_user, supervisor, locations, django_assert_max_num_queries
):
    mine, _theirs, _main = locations
    for number in range(8):
        blank_spoil(location=mine, quantity=1, reason=f"salah cetak {number}")
    client = as_user(supervisor)
    with django_assert_max_num_queries(7):
        page = client.get("/dashboard/stock/movements/").content.decode()
    assert page.count("salah cetak") == 8
    receipts = client.get("/dashboard/stock/movements/", {"kind": "receipt"}).content.decode()
    assert "salah cetak" not in receipts and "INIT-KEC-JTI" in receipts
    mine_only = client.get("/dashboard/stock/movements/", {"location": "KEC-JTI"}).content.decode()
    assert "INIT-KEC-JTI" in mine_only and "INIT-MAIN" not in mine_only


def test_a_receipt_posted_twice_with_the_same_delivery_note_is_recorded_once(as_user, operator, locations):
    client = as_user(operator)
    data = {"location": "KEC-KLW", "quantity": "2000", "reference": "SJ-2024/001"}
    page = client.post("/dashboard/stock/receive/", data, follow=True).content.decode()
    assert "2000 blanks received at Kecamatan Kaliwungu: stock 40 → 2040." in page
    page = client.post("/dashboard/stock/receive/", data, follow=True).content.decode()
    assert "Reference SJ-2024/001 was already posted" in page
    assert StockMovement.objects.filter(reference="SJ-2024/001").count() == 1
    page = client.post("/dashboard/stock/receive/", {**data, "quantity": "5"}).content.decode()
    assert "This reference was already used for a different movement." in page


def test_a_transfer_shows_both_ends_and_refuses_more_than_the_stock(as_user, operator, locations):
    client = as_user(operator)
    data = {"location": "MAIN", "to_location": "KEC-KLW", "quantity": "100", "reference": "MUTASI-7"}
    page = client.post("/dashboard/stock/transfer/", data, follow=True).content.decode()
    assert "100 blanks transferred from Kantor Disdukcapil (stock 1000 → 900) to Kecamatan Kaliwungu" in page
    response = client.post(
        "/dashboard/stock/transfer/", {**data, "quantity": "5000", "reference": "MUTASI-8"}
    )
    assert response.status_code == 409
    assert "Not enough blanks in stock at this location." in response.content.decode()
    # Another kecamatan's location is not a choice for an operator.
    response = client.post(
        "/dashboard/stock/transfer/", {**data, "to_location": "KEC-JTI", "reference": "M-9"}
    )
    assert response.status_code == 400
    assert not StockMovement.objects.filter(reference="M-9").exists()


def test_spoilage_needs_a_reason_and_has_a_reference_against_double_posting(as_user, operator, locations):
    client = as_user(operator)
    form = client.get("/dashboard/stock/spoil/", {"location": "KEC-KLW"}).content.decode()
    assert 'name="reference" value="F-' in form and '<option value="KEC-KLW" selected>' in form
    response = client.post(
        "/dashboard/stock/spoil/", {"location": "KEC-KLW", "quantity": "2", "reference": "F-1"}
    )
    assert response.status_code == 400 and "A reason is required." in response.content.decode()
    data = {"location": "KEC-KLW", "quantity": "2", "reference": "F-1", "reason": "salah cetak"}
    client.post("/dashboard/stock/spoil/", data)
    client.post("/dashboard/stock/spoil/", data)
    assert StockMovement.objects.filter(kind="spoilage").count() == 1


def test_only_admins_and_supervisors_adjust_stock(as_user, operator, supervisor, locations):
    client = as_user(operator)
    assert "/dashboard/stock/adjust/" not in client.get("/dashboard/stock/").content.decode()
    assert client.get("/dashboard/stock/adjust/").status_code == 403
    data = {"location": "KEC-KLW", "quantity": "-3", "reference": "OPNAME-1", "reason": "stock-take"}
    assert client.post("/dashboard/stock/adjust/", data).status_code == 403
    client = as_user(supervisor)
    assert "/dashboard/stock/adjust/" in client.get("/dashboard/stock/").content.decode()
    page = client.post("/dashboard/stock/adjust/", data, follow=True).content.decode()
    assert "Stock of Kecamatan Kaliwungu adjusted by -3: 40 → 37." in page
    assert StockMovement.objects.filter(kind="adjustment").count() == 1


def test_viewers_read_the_stock_but_post_nothing(as_user, viewer, locations):
    client = as_user(viewer)
    assert client.get("/dashboard/stock/").status_code == 200
    assert client.get("/dashboard/stock/locations/KEC-JTI/").status_code == 200
    data = {"location": "MAIN", "quantity": "1", "reference": "X-1"}
    assert client.post("/dashboard/stock/receive/", data).status_code == 403
    assert not StockMovement.objects.filter(reference="X-1").exists()


def test_an_operator_cannot_post_on_another_kecamatans_location(as_user, jati_operator, locations):
    client = as_user(jati_operator)
    assert client.get("/dashboard/stock/locations/KEC-KLW/").status_code == 404
    response = client.post(
        "/dashboard/stock/receive/", {"location": "KEC-KLW", "quantity": "5", "reference": "R-1"}
    )
    assert response.status_code == 400
    assert not StockMovement.objects.filter(reference="R-1").exists()
