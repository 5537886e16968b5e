"""Coverage runs: one transaction, one writer at a time, retries, thinning, schedule, command."""

from __future__ import annotations

import datetime as dt
import io
import threading
import zoneinfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from kudus_capil.celery import app as celery_app
from registrations import coverage
from registrations.coverage import RecomputeStatus, coverage_recompute, coverage_snapshots_thin
from registrations.coverage_selectors import coverage_latest_run
from registrations.models import CoverageRun, CoverageSnapshot
from registrations.tasks import recompute_coverage
from tests.factories import CitizenFactory, CoverageRunFactory, CoverageSnapshotFactory
from tests.helpers import needs_postgres

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
ROWS_PER_RUN = (1 + 9 + 132) * 3


def snapshot_values(run: CoverageRun) -> list[tuple]:
    return list(
        run.snapshots.order_by("area_code", "cohort").values_list(
            "area_code", "cohort", "wajib_ktp", "recorded", "printed", "ikd_activated", "recorded_recent"
        )
    )


@pytest.fixture
def some_citizens(regions):
    CitizenFactory.create_batch(3, recorded_at=dt.datetime(2020, 1, 1, tzinfo=WIB))
    CitizenFactory.create_batch(2, desa_id="33.19.05.2001")


def test_the_task_run_twice_gives_the_same_figures(some_citizens):
    first = recompute_coverage.apply().get()
    second = recompute_coverage.apply().get()

    assert first["status"] == second["status"] == "computed"
    runs = CoverageRun.objects.order_by("id")
    assert [r.pk for r in runs] == [first["run_id"], second["run_id"]]
    assert snapshot_values(runs[0]) == snapshot_values(runs[1])
    assert runs[1].snapshots.get(area_code="33.19", cohort="all").wajib_ktp == 5


def test_a_failure_while_writing_leaves_the_previous_run_current(some_citizens, monkeypatch):
    previous = coverage_recompute().run
    CitizenFactory(recorded_at=dt.datetime(2021, 1, 1, tzinfo=WIB))  # the next run would differ
    real_bulk_create = CoverageSnapshot.objects.bulk_create

    def write_half_then_fail(objs, *args, **kwargs):
        objs = list(objs)
        real_bulk_create(objs[: len(objs) // 2], *args, **kwargs)  # really written, then rolled back
        raise RuntimeError("disk full")

    monkeypatch.setattr(CoverageSnapshot.objects, "bulk_create", write_half_then_fail)

    with pytest.raises(RuntimeError):
        coverage_recompute()

    assert list(CoverageRun.objects.values_list("id", flat=True)) == [previous.pk]
    assert CoverageSnapshot.objects.count() == ROWS_PER_RUN
    assert coverage_latest_run() == previous
    assert previous.snapshots.get(area_code="33.19", cohort="all").recorded == 3


def test_a_failure_before_writing_writes_nothing(some_citizens, monkeypatch):
    def fail():
        raise RuntimeError("worker killed")

    monkeypatch.setattr(coverage, "_before_write", fail)

    with pytest.raises(RuntimeError):
        coverage_recompute()

    assert CoverageRun.objects.count() == 0
    assert CoverageSnapshot.objects.count() == 0


def test_a_request_older_than_the_start_of_a_completed_run_is_already_answered(some_citizens):
    ran_at = dt.datetime(2024, 2, 2, 10, 0, tzinfo=WIB)
    done = coverage_recompute(now=ran_at).run

    stale = coverage_recompute(
        now=ran_at + dt.timedelta(minutes=1), requested_at=ran_at - dt.timedelta(seconds=5)
    )
    fresh = coverage_recompute(
        now=ran_at + dt.timedelta(minutes=2), requested_at=ran_at + dt.timedelta(seconds=5)
    )

    assert (stale.status, stale.run) == (RecomputeStatus.FRESH, done)
    assert fresh.status is RecomputeStatus.COMPUTED
    assert CoverageRun.objects.count() == 2


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("lock_enabled", "runs_written"), [(True, 1), (False, 2)])
def test_two_concurrent_runs_write_one_snapshot_set(regions_tx, monkeypatch, lock_enabled, runs_written):
    """The first run is held inside its transaction while the second one starts. With the lock
    switched off (the test-only hook) both write: the test can fail."""
    CitizenFactory.create_batch(3)
    monkeypatch.setattr(coverage, "_lock_enabled", lock_enabled)
    first_inside, second_done = threading.Event(), threading.Event()

    def hold_the_first_run():
        if threading.current_thread().name == "first":
            first_inside.set()
            second_done.wait(timeout=15)

    monkeypatch.setattr(coverage, "_before_write", hold_the_first_run)
    results: dict[str, coverage.RecomputeResult] = {}

    def run(name: str) -> None:
        try:
            results[name] = coverage_recompute()
        finally:
            if name == "second":
                second_done.set()
            connection.close()

    first = threading.Thread(target=run, args=("first",), name="first")
    first.start()
    assert first_inside.wait(timeout=15)
    second = threading.Thread(target=run, args=("second",), name="second")
    second.start()
    second.join(timeout=30)
    first.join(timeout=30)

    assert results["first"].status is RecomputeStatus.COMPUTED
    assert CoverageRun.objects.count() == runs_written
    assert CoverageSnapshot.objects.count() == ROWS_PER_RUN * runs_written
    if lock_enabled:
        assert (results["second"].status, results["second"].run) == (RecomputeStatus.BUSY, None)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_task_retries_after_losing_its_database_connection(regions_tx, monkeypatch):
    CitizenFactory.create_batch(2)
    real_count = coverage.coverage_count_by_desa
    attempts = []

    def count_after_losing_the_connection(t):
        attempts.append(1)
        if len(attempts) == 1:
            with connection.cursor() as cursor:  # what a PostgreSQL restart does to a session
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return real_count(t)

    monkeypatch.setattr(coverage, "coverage_count_by_desa", count_after_losing_the_connection)
    # Eager mode re-runs a retried task in place only when it does not propagate the Retry.
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)

    result = recompute_coverage.apply()

    assert len(attempts) == 2
    assert result.get()["status"] == "computed"
    assert CoverageRun.objects.count() == 1
    assert CoverageSnapshot.objects.get(area_code="33.19", cohort="all").wajib_ktp == 2


# --- Thinning --------------------------------------------------------------------------------
def run_at(*args, reference_date: dt.date | None = None) -> CoverageRun:
    at = dt.datetime(*args, tzinfo=WIB)
    run = CoverageRunFactory(computed_at=at, reference_date=reference_date or at.date())
    CoverageSnapshotFactory(run=run)
    CoverageSnapshotFactory(run=run, level="kecamatan", area_code="33.19.01", parent_code="33.19")
    return run


def test_thinning_keeps_a_day_of_runs_then_hourly_for_a_week_then_daily(db):
    now = dt.datetime(2024, 2, 20, 12, 0, tzinfo=WIB)
    last_day = [run_at(2024, 2, 20, 11, 55), run_at(2024, 2, 20, 11, 50), run_at(2024, 2, 19, 12, 30)]
    hour_lost = [run_at(2024, 2, 17, 10, 5), run_at(2024, 2, 17, 10, 35)]
    hour_kept = [run_at(2024, 2, 17, 10, 55), run_at(2024, 2, 17, 11, 0)]
    backfill = run_at(2024, 2, 17, 10, 40, reference_date=dt.date(2024, 2, 2))  # thinned apart
    day_lost = [run_at(2024, 2, 10, 1, 0), run_at(2024, 2, 10, 13, 0)]
    # 23:50 and 00:10 WIB are one UTC day but two Jakarta days: both kept.
    day_kept = [run_at(2024, 2, 10, 23, 50), run_at(2024, 2, 11, 0, 10), run_at(2024, 1, 5, 8, 0)]

    deleted = coverage_snapshots_thin(now=now)

    kept = [*last_day, *hour_kept, backfill, *day_kept]
    assert deleted == len(hour_lost) + len(day_lost)
    assert set(CoverageRun.objects.values_list("id", flat=True)) == {r.pk for r in kept}
    assert set(CoverageSnapshot.objects.values_list("run_id", flat=True)) == {r.pk for r in kept}
    assert coverage_snapshots_thin(now=now) == 0  # idempotent


def test_thinning_never_deletes_the_current_run(db):
    only_old = [run_at(2024, 1, 1, 8, 0), run_at(2024, 1, 1, 9, 0)]

    coverage_snapshots_thin(now=dt.datetime(2024, 3, 1, tzinfo=WIB))

    assert list(CoverageRun.objects.values_list("id", flat=True)) == [only_old[1].pk]


# --- Schedule and command --------------------------------------------------------------------
def test_beat_recomputes_every_five_minutes_and_drops_messages_older_than_that(db):
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    entry = settings.CELERY_BEAT_SCHEDULE["coverage-recompute"]
    assert entry["task"] == recompute_coverage.name == "registrations.tasks.recompute_coverage"
    assert entry["task"] in celery_app.tasks
    assert settings.CELERY_BEAT_SCHEDULE["coverage-thin-snapshots"]["task"] in celery_app.tasks

    for name, fields in settings.CELERY_BEAT_SCHEDULE.items():  # what the scheduler does at start-up
        DatabaseScheduler.Entry.from_entry(name, app=celery_app, **fields)

    task = PeriodicTask.objects.get(name="coverage-recompute")
    assert (task.interval.every, task.interval.period) == (300, "seconds")
    assert 0 < task.expire_seconds < 300
    assert PeriodicTask.objects.get(name="coverage-thin-snapshots").crontab.minute == "7"


def test_the_command_prints_the_kabupaten_figure(some_citizens):
    out = io.StringIO()

    call_command("recompute_coverage", "--date", "2024-02-02", stdout=out)

    run = CoverageRun.objects.get()
    assert run.reference_date == dt.date(2024, 2, 2)
    assert "3 of 5 wajib KTP recorded (60.00%), 2 not yet; 426 snapshots" in out.getvalue()


def test_the_command_refuses_a_future_date(regions):
    with pytest.raises(CommandError):
        call_command("recompute_coverage", "--date", "2999-01-01")
