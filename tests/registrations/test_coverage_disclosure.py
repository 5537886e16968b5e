"""Public coverage (issue 13): counts from 1 to 4 are "<5" for the public, and the figures of the
same area that would give them away are null; staff (any role) see exact figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from registrations.models import CoverageSnapshot
from tests.factories import CoverageRunFactory, CoverageSnapshotFactory, coverage_run_with

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()


@pytest.fixture
def run(regions):
    """Kaliwungu: 200 wajib, 3 not recorded; Jati: 2 wajib; Kota: 50 wajib, none left."""
    run = coverage_run_with(
        kabupaten=(252, 246),
        kecamatan={"33.19.01": (200, 197), "33.19.03": (2, 1), "33.19.02": (50, 50)},
        age_16=(12, 9),
    )
    CoverageSnapshot.objects.filter(run=run, area_code="33.19.02").update(printed=4, ikd_activated=30)
    CoverageSnapshotFactory(
        run=run, level="desa", area_code="33.19.01.2001", parent_code="33.19.01",
        wajib_ktp=120, recorded=119, unrecorded=1, printed=100, ikd_activated=2,
    )  # fmt: skip
    return run


def _staff(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _area(body: dict, code: str) -> dict:
    areas = [body["kabupaten"], *body["kecamatan"], *body.get("desa", [])]
    return next(area for area in areas if area["code"] == code)


def test_the_public_sees_small_counts_as_less_than_five(run):
    body = APIClient().get("/api/v1/coverage/", {"kecamatan": "33.19.01"}).json()

    kaliwungu = _area(body, "33.19.01")
    assert (kaliwungu["wajib_ktp"], kaliwungu["unrecorded"]) == (200, "<5")
    # recorded = wajib - unrecorded would give it away: withheld, and so is the percentage.
    assert (kaliwungu["recorded"], kaliwungu["coverage_pct"]) == (None, None)
    jati = _area(body, "33.19.03")  # a base of 2: every figure of it
    assert (jati["wajib_ktp"], jati["recorded"], jati["unrecorded"], jati["coverage_pct"]) == (
        "<5",
        "<5",
        "<5",
        None,
    )
    kota = _area(body, "33.19.02")  # zero stays visible; a small printed count does not
    assert (kota["wajib_ktp"], kota["recorded"], kota["unrecorded"], kota["coverage_pct"]) == (
        50,
        50,
        0,
        100.0,
    )
    assert (kota["printed"], kota["printed_pct"], kota["ikd_activated"]) == ("<5", None, 30)
    desa = _area(body, "33.19.01.2001")  # the finding: `unrecorded: 1` for a desa
    assert (desa["unrecorded"], desa["recorded"], desa["ikd_activated"], desa["printed"]) == (
        "<5",
        None,
        "<5",
        100,
    )
    assert body["kabupaten"]["unrecorded"] == 6 and body["kabupaten"]["recorded"] == 246
    assert body["cohorts"]["age_16"]["unrecorded"] == "<5"
    assert "1" not in {str(area.get("unrecorded")) for area in body["kecamatan"] + body["desa"]}


@pytest.mark.parametrize("role", ["viewer", "operator", "supervisor", "admin"])
def test_staff_see_exact_figures(run, request, role):
    user = request.getfixturevalue(role)
    body = _staff(user).get("/api/v1/coverage/", {"kecamatan": "33.19.01"}).json()

    kaliwungu = _area(body, "33.19.01")
    assert (kaliwungu["recorded"], kaliwungu["unrecorded"], kaliwungu["coverage_pct"]) == (197, 3, 98.5)
    assert (_area(body, "33.19.03")["wajib_ktp"], _area(body, "33.19.01.2001")["unrecorded"]) == (2, 1)


def test_staff_without_a_role_see_what_the_public_sees(run, no_role_staff):
    body = _staff(no_role_staff).get("/api/v1/coverage/").json()
    assert _area(body, "33.19.01")["unrecorded"] == "<5"


def test_a_signed_in_supervisor_on_the_site_sees_exact_figures(run, supervisor, client):
    client.force_login(supervisor)  # session authentication, as the dashboard's pages call it
    assert _area(client.get("/api/v1/coverage/").json(), "33.19.01")["unrecorded"] == 3


def test_history_and_projection_suppress_too(run, viewer):
    projection = APIClient().get("/api/v1/coverage/projection/", {"target_date": "2030-01-01"}).json()
    kaliwungu = next(area for area in projection["kecamatan"] if area["code"] == "33.19.01")
    assert (kaliwungu["unrecorded"], kaliwungu["required_daily"], kaliwungu["projected_date"]) == (
        "<5",
        None,
        None,
    )
    staff = _staff(viewer).get("/api/v1/coverage/projection/", {"target_date": "2030-01-01"}).json()
    assert next(area for area in staff["kecamatan"] if area["code"] == "33.19.01")["unrecorded"] == 3

    today = dt.date.today()
    history_run = CoverageRunFactory(reference_date=today)
    CoverageSnapshotFactory(
        run=history_run, level="desa", area_code="33.19.01.2001", parent_code="33.19.01",
        wajib_ktp=120, recorded=118, unrecorded=2,
    )  # fmt: skip
    query = {"area": "33.19.01.2001", "cohort": "all"}
    [point] = APIClient().get("/api/v1/coverage/history/", query).json()["points"]
    assert (point["unrecorded"], point["recorded"], point["coverage_pct"]) == ("<5", None, None)
    [exact] = _staff(viewer).get("/api/v1/coverage/history/", query).json()["points"]
    assert (exact["unrecorded"], exact["recorded"]) == (2, 118)


def test_the_threshold_is_a_setting(run, settings):
    settings.PUBLIC_COUNT_MIN = 10
    body = APIClient().get("/api/v1/coverage/").json()
    assert _area(body, "33.19.01")["unrecorded"] == "<10"
    assert body["kabupaten"]["unrecorded"] == "<10"
