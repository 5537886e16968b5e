"""/api/v1/coverage/: public figures, history, projection; staff recompute, targets and export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import zoneinfo

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from core import outbox
from core.models import AuditEvent, OutboxMessage
from core.roles import staff_create
from kudus_capil.celery import app as celery_app
from registrations.coverage import coverage_count_by_school, coverage_recompute, coverage_thresholds
from registrations.models import Citizen, CoverageRun, SchoolCoverage
from registrations.nik import mask_nik
from tests.factories import CitizenFactory, CoverageRunFactory, CoverageSnapshotFactory, UserFactory

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
D = dt.date
REFERENCE = D(2024, 2, 2)
RECORDED = dt.datetime(2020, 1, 1, 9, 0, tzinfo=WIB)


_staff_serial = itertools.count(1)


def user_with_role(role: str, *, kecamatan: tuple[str, ...] = ()):
    return staff_create(username=f"{role}-{next(_staff_serial)}", role=role, kecamatan_codes=list(kecamatan))


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def computed(regions):
    """Kaliwungu: 2 wajib (1 recorded); Kota Kudus: 1 wajib recorded; one first-time voter unrecorded."""
    CitizenFactory(birth_date=D(1990, 1, 1), recorded_at=RECORDED)
    CitizenFactory(birth_date=D(1991, 1, 1))
    CitizenFactory(birth_date=D(1992, 1, 1), desa_id="33.19.02.1001", recorded_at=RECORDED)
    CitizenFactory(birth_date=D(2007, 2, 3), desa_id="33.19.02.1001")  # 16, first-time voter
    return coverage_recompute(reference_date=REFERENCE).run


def test_coverage_gives_the_kabupaten_its_kecamatan_and_cohorts(computed, django_assert_max_num_queries):
    """Exact figures, as staff see them (the public's small counts: test_coverage_disclosure.py)."""
    viewer = user_with_role("viewer")
    # Expired throttle counters committed by earlier live-server tests would be deleted on read
    # and counted here (2 more queries when the suite runs slowly): start from an empty cache.
    cache.clear()
    # 12 keep the throttle counters in the database cache; the figures take 4 whatever the areas.
    # The cache table starts empty: rows left by earlier committed tests would make the cache cull
    # (2 more queries once it holds over 300 rows), which says nothing about this endpoint.
    cache.clear()
    with django_assert_max_num_queries(17):  # + the viewer's role
        response = client_for(viewer).get("/api/v1/coverage/")

    assert response.status_code == 200
    body = response.json()
    assert body["run_id"] == computed.pk
    assert (body["reference_date"], body["target_pct"]) == ("2024-02-02", 100)
    assert body["kabupaten"] == {
        "code": "33.19", "name": "Kabupaten Kudus", "wajib_ktp": 3, "recorded": 2, "unrecorded": 1,
        "coverage_pct": 66.66, "printed": 0, "printed_pct": 0.0, "ikd_activated": 0, "ikd_activated_pct": 0.0,
    }  # fmt: skip
    assert [k["code"] for k in body["kecamatan"]] == [f"33.19.0{i}" for i in range(1, 10)]
    assert body["kecamatan"][0]["name"] == "Kaliwungu"
    assert (body["kecamatan"][0]["wajib_ktp"], body["kecamatan"][0]["recorded"]) == (2, 1)
    assert body["cohorts"]["pemula"]["wajib_ktp"] == 1
    assert body["cohorts"]["age_16"]["unrecorded"] == 1
    assert "desa" not in body


def test_asking_for_a_kecamatan_adds_its_desa(computed):
    response = client_for(user_with_role("viewer")).get("/api/v1/coverage/", {"kecamatan": "33.19.02"})

    desa = response.json()["desa"]
    assert len(desa) == 25
    assert desa == sorted(desa, key=lambda d: d["code"])
    assert next(d for d in desa if d["code"] == "33.19.02.1001")["wajib_ktp"] == 1


def test_an_unknown_kecamatan_is_404(computed):
    response = client_for().get("/api/v1/coverage/", {"kecamatan": "33.19.99"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_before_the_first_run_coverage_says_it_is_not_computed(regions):
    response = client_for().get("/api/v1/coverage/")

    assert response.status_code == 404
    assert response.json()["code"] == "coverage_not_computed"


def test_history_lists_an_area_and_cohort_in_time_order(regions):
    today = dt.date.today()
    for days_ago, recorded in ((2, 80), (1, 85), (0, 90)):
        run = CoverageRunFactory(reference_date=today - dt.timedelta(days=days_ago))
        CoverageSnapshotFactory(run=run, recorded=recorded)
        CoverageSnapshotFactory(run=run, cohort="pemula", recorded=1)
    CoverageSnapshotFactory(run=CoverageRunFactory(reference_date=today - dt.timedelta(days=60)))

    response = client_for().get("/api/v1/coverage/history/", {"area": "33.19", "cohort": "all"})

    body = response.json()
    assert body["area"] == {"code": "33.19", "name": "Kabupaten Kudus", "level": "kabupaten"}
    assert [p["recorded"] for p in body["points"]] == [80, 85, 90]
    assert body["points"][-1]["coverage_pct"] == 90.0


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "invalid"),
        ({"area": "33.19.77"}, 404, "not_found"),
        ({"area": "33.19", "cohort": "x"}, 400, "invalid"),
    ],
)
def test_history_needs_a_known_area_and_cohort(regions, params, status, code):
    response = client_for().get("/api/v1/coverage/history/", params)

    assert response.status_code == status
    assert response.json()["code"] == code


def test_projection_is_public_and_takes_a_target_date(computed):
    assert client_for().get("/api/v1/coverage/projection/").status_code == 200
    staff = client_for(user_with_role("viewer"))  # exact small figures
    response = staff.get("/api/v1/coverage/projection/", {"target_date": "2024-02-12"})

    body = response.json()
    assert (body["target_date"], body["recent_days"]) == ("2024-02-12", 14)
    assert body["kabupaten"]["unrecorded"] == 1
    assert body["kabupaten"]["days_left"] == 10
    assert body["kabupaten"]["required_daily"] == 1
    assert len(body["kecamatan"]) == 9


@pytest.mark.django_db(transaction=True)  # the outbox relays after a real commit
def test_staff_recompute_answers_202_with_the_task_id(computed):
    staff = user_with_role("operator", kecamatan=("33.19.01",))

    response = client_for(staff).post("/api/v1/coverage/recompute/")

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    message = OutboxMessage.objects.get(pk=body["outbox_id"])
    assert (message.task, message.dedupe_key) == (
        "registrations.tasks.recompute_coverage",
        "coverage-refresh",
    )
    assert body["task_id"] == message.task_id != ""
    assert CoverageRun.objects.count() == 2  # eager in tests: the task ran in process after the commit


@pytest.mark.django_db(transaction=True)
def test_recompute_while_the_broker_is_down_stays_pending_and_is_debounced(computed, monkeypatch):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setattr(celery_app, "send_task", broker_down)
    # The failed relay backs off (process-wide); monkeypatch restores it for the tests after this one.
    monkeypatch.setattr(outbox, "_broker_backoff_until", 0.0)
    client = client_for(user_with_role("admin"))

    first = client.post("/api/v1/coverage/recompute/")
    second = client.post("/api/v1/coverage/recompute/")

    assert first.status_code == second.status_code == 202
    assert first.json()["status"] == "pending" and first.json()["task_id"] is None
    assert second.json()["outbox_id"] == first.json()["outbox_id"]  # at most one pending refresh
    assert OutboxMessage.objects.filter(status="pending").count() == 1
    assert CoverageRun.objects.count() == 1


@pytest.mark.parametrize("who", ["anonymous", "citizen account", "viewer"])
def test_recompute_is_for_staff_who_may_act(computed, who):
    if who == "anonymous":
        user = None
    elif who == "citizen account":
        user = UserFactory(is_staff=False)
    else:
        user = user_with_role(who)

    response = client_for(user).post("/api/v1/coverage/recompute/")

    assert response.status_code in (401, 403)
    assert CoverageRun.objects.count() == 1


@pytest.mark.parametrize("who", ["anonymous", "citizen account"])
def test_targets_are_for_staff(computed, who):
    client = client_for(None if who == "anonymous" else UserFactory(is_staff=False))

    assert client.get("/api/v1/coverage/targets/").status_code in (401, 403)


# --- Targets ---------------------------------------------------------------------------------
@pytest.fixture
def targets_run(regions):
    """Desa ranked from the run's snapshots; schools from the run's school rows, counted from the
    residents by the run's own school count."""
    run = CoverageRunFactory(reference_date=REFERENCE)
    for code, parent, pemula, wajib, age_16 in (
        ("33.19.01.2001", "33.19.01", 5, 3, 0),
        ("33.19.01.2002", "33.19.01", 5, 10, 1),
        ("33.19.02.1001", "33.19.02", 0, 50, 0),
        ("33.19.02.1004", "33.19.02", 0, 0, 0),  # nothing to do there: not a target
    ):
        for cohort, unrecorded in (("pemula", pemula), ("all", wajib), ("age_16", age_16)):
            CoverageSnapshotFactory(
                run=run, level="desa", area_code=code, parent_code=parent, cohort=cohort,
                wajib_ktp=100, recorded=100 - unrecorded,
            )  # fmt: skip
    pemula, adult, fifteen = D(2005, 6, 1), D(1999, 1, 1), D(2009, 1, 1)
    for school, births in (
        ("SMA 1", [pemula, pemula, adult]),
        ("SMA 2", [adult] * 5),
        ("SMA 3", [pemula, fifteen, fifteen, fifteen]),  # 15-year-olds may not record yet
    ):
        for birth in births:
            CitizenFactory(birth_date=birth, school=school)
    CitizenFactory(birth_date=pemula, school="SMA 2", recorded_at=RECORDED)  # recorded: not a target
    CitizenFactory(birth_date=pemula, school="SMA 9", desa_id="33.19.02.1001")
    for row in coverage_count_by_school(coverage_thresholds(REFERENCE)):
        SchoolCoverage.objects.create(run=run, **row)
    return run


def test_targets_rank_desa_and_schools_first_time_voters_first(targets_run):
    response = client_for(user_with_role("supervisor")).get("/api/v1/coverage/targets/")

    body = response.json()
    assert [d["code"] for d in body["desa"]] == ["33.19.01.2002", "33.19.01.2001", "33.19.02.1001"]
    assert body["desa"][0] == {
        "code": "33.19.01.2002", "name": "Prambatan Kidul", "kecamatan_code": "33.19.01",
        "kecamatan": "Kaliwungu", "pemula_unrecorded": 5, "eligible_unrecorded": 11, "wajib_unrecorded": 10,
        "age_16_unrecorded": 1,
    }  # fmt: skip
    assert [(s["name"], s["pemula_unrecorded"], s["eligible_unrecorded"]) for s in body["schools"]] == [
        ("SMA 1", 2, 3), ("SMA 3", 1, 1), ("SMA 9", 1, 1), ("SMA 2", 0, 5),
    ]  # fmt: skip


def test_targets_of_scoped_staff_stay_in_their_kecamatan(targets_run):
    operator = user_with_role("operator", kecamatan=("33.19.02",))

    body = client_for(operator).get("/api/v1/coverage/targets/").json()
    other = client_for(operator).get("/api/v1/coverage/targets/", {"kecamatan": "33.19.01"})

    assert [d["code"] for d in body["desa"]] == ["33.19.02.1001"]
    assert [s["name"] for s in body["schools"]] == ["SMA 9"]
    assert other.status_code == 404


def test_targets_limit_the_lists(targets_run):
    body = client_for(user_with_role("admin")).get("/api/v1/coverage/targets/", {"limit": 1}).json()

    assert (len(body["desa"]), len(body["schools"])) == (1, 1)


# --- Export ----------------------------------------------------------------------------------
@pytest.fixture
def residents(regions):
    CitizenFactory(birth_date=D(1990, 1, 1), full_name="Adi Dewasa", recorded_at=RECORDED)  # recorded
    CitizenFactory(birth_date=D(1991, 1, 1), full_name="Budi Dewasa", address="RT 02 RW 03")
    CitizenFactory(birth_date=D(2005, 6, 1), full_name="Citra Pemula", sex="P", school="SMA 1")
    CitizenFactory(birth_date=dt.date.today().replace(year=dt.date.today().year - 10), full_name="Dodo Anak")
    CitizenFactory(birth_date=D(1992, 1, 1), full_name="Eko Pindah", moved_out=True)
    CitizenFactory(birth_date=D(1993, 1, 1), full_name="Fajar Kota", desa_id="33.19.02.1001")


def export(user, area: str):
    return client_for(user).get("/api/v1/coverage/targets/export/", {"area": area}, HTTP_ACCEPT="text/csv")


def rows_of(response) -> list[dict]:
    # utf-8-sig: the export starts with a byte-order mark (spreadsheets then read UTF-8 names right).
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_export_streams_unrecorded_eligible_residents_first_time_voters_first(residents):
    operator = user_with_role("operator", kecamatan=("33.19.01",))

    response = export(operator, "33.19.01")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert [r["full_name"] for r in rows] == ["Citra Pemula", "Budi Dewasa"]
    citra = rows[0]
    full = Citizen.objects.get(full_name="Citra Pemula").nik
    assert citra["nik"] == mask_nik(full) != full  # operators have no full-NIK permission
    assert (citra["sex"], citra["school"], citra["desa"], citra["kecamatan"]) == (
        "P", "SMA 1", "Bakalankrapyak", "Kaliwungu",
    )  # fmt: skip
    assert (citra["pemula"], rows[1]["pemula"]) == ("ya", "tidak")
    event = AuditEvent.objects.get(kind="export")
    assert (event.actor, event.target) == (operator, "area 33.19.01")


def test_the_export_keeps_formula_like_names_as_text(regions):
    hostile = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3"]
    for name in hostile:
        CitizenFactory(birth_date=D(1991, 1, 1), full_name=name, address="=1+1")

    response = export(user_with_role("admin"), "33.19.01")

    assert response.status_code == 200
    rows = rows_of(response)
    assert sorted(r["full_name"] for r in rows) == sorted("'" + name for name in hostile)
    assert {r["address"] for r in rows} == {"'=1+1"}


def test_full_niks_need_the_permission(residents):
    supervisor = user_with_role("supervisor")  # the role holds registrations.view_full_nik
    assert supervisor.has_perm("registrations.view_full_nik")

    rows = rows_of(export(supervisor, "33.19.01.2001"))

    assert sorted(r["nik"] for r in rows) == sorted(
        Citizen.objects.filter(full_name__in=["Budi Dewasa", "Citra Pemula"]).values_list("nik", flat=True)
    )
    assert "(full NIK)" in AuditEvent.objects.get(kind="export").action


def test_the_export_of_the_kabupaten_covers_every_kecamatan(residents):
    rows = rows_of(export(user_with_role("admin"), "33.19"))

    assert sorted(r["full_name"] for r in rows) == ["Budi Dewasa", "Citra Pemula", "Fajar Kota"]


@pytest.mark.parametrize("area", ["33.19.02", "33.19.02.1001", "33.19", "33.19.77"])
def test_scoped_staff_get_404_outside_their_kecamatan(residents, area):
    response = export(user_with_role("operator", kecamatan=("33.19.01",)), area)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("role", ["viewer", "field"])
def test_staff_without_the_export_permission_cannot_export_named_residents(residents, role):
    user = user_with_role(role, kecamatan=("33.19.01",) if role == "field" else ())

    response = export(user, "33.19.01")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not AuditEvent.objects.filter(kind="export").exists()


def test_the_public_cannot_export(residents):
    assert export(None, "33.19.01").status_code in (401, 403)
