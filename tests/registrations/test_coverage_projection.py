"""Projection arithmetic: when 100% is reached at the recent rate, and what rate reaches it in time."""

from __future__ import annotations

import datetime as dt

import pytest

from registrations.coverage_selectors import coverage_projection, project_area
from registrations.models import CoverageSnapshot
from tests.factories import CoverageRunFactory, CoverageSnapshotFactory

D = dt.date
ELECTION = D(2024, 2, 14)
NEWS_DAY = D(2024, 2, 2)


def snapshot(*, wajib=643_069, recorded=641_171, recent=2_000, reference=NEWS_DAY) -> CoverageSnapshot:
    return CoverageSnapshot(
        area_code="33.19", cohort="all", level="kabupaten", reference_date=reference, wajib_ktp=wajib,
        recorded=recorded, unrecorded=wajib - recorded, printed=0, ikd_activated=0, recorded_recent=recent,
    )  # fmt: skip


def test_the_news_figures_of_2_february_need_159_recordings_a_day_by_the_election():
    p = project_area(snapshot(), name="Kudus", recent_days=14, target_date=ELECTION)

    assert p.unrecorded == 1_898
    assert p.coverage_pct == 99.70
    assert p.daily_rate == 142.86  # 2,000 recordings in 14 days
    assert p.projected_date == D(2024, 2, 16)  # ceil(1,898 / 142.857) = 14 days
    assert p.days_left == 12  # 3 … 14 February
    assert p.required_daily == 159  # ceil(1,898 / 12)
    assert p.on_track is False


def test_a_rate_that_clears_the_backlog_in_time_is_on_track():
    p = project_area(snapshot(recent=14 * 200), name="Kudus", recent_days=14, target_date=ELECTION)

    assert p.daily_rate == 200.0
    assert p.projected_date == D(2024, 2, 12)  # ceil(1,898 / 200) = 10 days
    assert p.on_track is True


def test_no_recent_recordings_means_no_projected_date():
    p = project_area(snapshot(recent=0), name="Kudus", recent_days=14, target_date=ELECTION)

    assert (p.daily_rate, p.projected_date, p.on_track) == (0.0, None, False)
    assert p.required_daily == 159


def test_a_complete_area_has_reached_100_percent_on_its_reference_date():
    p = project_area(snapshot(recorded=643_069, recent=0), name="Kudus", recent_days=14, target_date=ELECTION)

    assert (p.projected_date, p.required_daily, p.on_track) == (D(2024, 2, 2), 0, True)


def test_a_target_date_in_the_past_has_no_required_rate():
    p = project_area(snapshot(), name="Kudus", recent_days=14, target_date=D(2024, 2, 1))

    assert (p.days_left, p.required_daily, p.on_track) == (-1, None, None)


def test_the_net_daily_change_is_measured_against_an_earlier_run():
    baseline = snapshot(wajib=643_450, recorded=641_131, reference=D(2024, 1, 16))  # 16 Jan news: 2,319 not

    p = project_area(snapshot(), name="Kudus", recent_days=14, target_date=ELECTION, baseline=baseline)

    assert p.net_daily_change == 24.76  # (2,319 − 1,898) / 17 days


@pytest.fixture
def two_runs(regions):
    old = CoverageRunFactory(reference_date=D(2024, 1, 16))
    new = CoverageRunFactory(reference_date=D(2024, 2, 2))
    for run, unrecorded in ((old, 2_319), (new, 1_898)):
        CoverageSnapshotFactory(
            run=run, wajib_ktp=643_069, recorded=643_069 - unrecorded, recorded_recent=2_000
        )
        CoverageSnapshotFactory(
            run=run, level="kecamatan", area_code="33.19.02", parent_code="33.19", wajib_ktp=1_000,
            recorded=1_000 - unrecorded // 10, recorded_recent=140,
        )  # fmt: skip
    return old, new


def test_the_projection_covers_the_kabupaten_and_each_kecamatan(two_runs):
    _old, new = two_runs

    projection = coverage_projection()

    assert projection["run_id"] == new.pk
    assert projection["target_date"] == ELECTION
    assert projection["baseline_reference_date"] == D(2024, 1, 16)
    kabupaten = projection["kabupaten"]
    assert (kabupaten.unrecorded, kabupaten.required_daily, kabupaten.net_daily_change) == (1_898, 159, 24.76)
    [kota] = projection["kecamatan"]
    assert (kota.code, kota.name, kota.unrecorded, kota.daily_rate) == ("33.19.02", "Kota Kudus", 189, 10.0)
    assert kota.projected_date == D(2024, 2, 2) + dt.timedelta(days=19)  # ceil(189 / 10)
    assert kota.required_daily == 16  # ceil(189 / 12)


def test_a_given_target_date_replaces_the_election_date(two_runs):
    projection = coverage_projection(target_date=D(2024, 3, 3))

    assert projection["kabupaten"].days_left == 30
    assert projection["kabupaten"].required_daily == 64  # ceil(1,898 / 30)
