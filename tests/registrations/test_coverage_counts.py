"""Exact coverage counts on a small hand-built population, at every boundary."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest

from registrations.coverage import (
    COUNTS,
    MEASURES,
    coverage_count_by_desa,
    coverage_count_by_school,
    coverage_recompute,
    coverage_thresholds,
)
from registrations.eligibility import age_cutoff, is_pemula, is_wajib_ktp, may_record, person_of
from registrations.models import Citizen, CoverageSnapshot, SchoolCoverage
from tests.factories import CitizenFactory

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
D = dt.date
REFERENCE = D(2024, 2, 2)  # Friday 2 Feb 2024, the day of the news figures
DESA_A = "33.19.01.2001"  # Bakalankrapyak, Kaliwungu
DESA_B = "33.19.02.1001"  # Purwosari, Kota Kudus


def wib(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


def citizen(birth_date: dt.date, desa: str = DESA_A, **fields) -> Citizen:
    return CitizenFactory(birth_date=birth_date, desa_id=desa, **fields)


@pytest.fixture
def population(regions):
    """Each line says what the resident is as of 2 Feb 2024 (election 14 Feb 2024, previous 17 Apr 2019)."""
    # Turns 17 tomorrow: aged 16 (may record, not wajib); a first-time voter.
    citizen(D(2007, 2, 3))
    # Turns 17 today: wajib; first-time voter; recorded today (inside the recent window).
    citizen(D(2007, 2, 2), recorded_at=wib(2024, 2, 2, 10, 0))
    # Married at 16: wajib although under 17; 17 only after the election, so not a first-time voter.
    citizen(D(2007, 6, 1), marital_status="kawin")
    # Deceased and moved out: in the registry, outside every figure.
    citizen(D(1980, 1, 1), deceased=True, recorded_at=wib(2012, 1, 1, 9, 0))
    citizen(D(1980, 1, 1), moved_out=True)
    # Recorded, printed and IKD-activated long ago.
    citizen(
        D(1990, 5, 5), marital_status="kawin", recorded_at=wib(2015, 3, 1, 9, 0),
        printed_at=wib(2015, 4, 1, 9, 0), ikd_activated_at=wib(2023, 1, 10, 9, 0),
    )  # fmt: skip
    # Recorded the day after the reference date: not yet recorded as of it.
    citizen(D(1995, 1, 1), recorded_at=wib(2024, 2, 3, 8, 0))
    # Recorded a minute before midnight WIB: recorded.
    citizen(D(1996, 1, 1), recorded_at=wib(2024, 2, 2, 23, 59))
    # 17:30 UTC on 2 Feb is 00:30 WIB on 3 Feb: not yet recorded as of 2 Feb.
    citizen(D(1997, 1, 1), recorded_at=dt.datetime(2024, 2, 2, 17, 30, tzinfo=dt.UTC))
    # Turns 16 today and recorded today (print-ready record): in the age_16 cohort.
    citizen(D(2008, 2, 2), recorded_at=wib(2024, 2, 2, 9, 0))
    # Turns 16 tomorrow: aged 15, in no cohort.
    citizen(D(2008, 2, 3))
    # Turned 17 on the previous election day itself: wajib, not a first-time voter.
    citizen(D(2002, 4, 17), recorded_at=wib(2020, 1, 1, 9, 0))
    # Turned 17 the day after the previous election: a first-time voter, not recorded.
    citizen(D(2002, 4, 18))
    # Recorded just before the 14-day window (it starts 20 Jan 00:00 WIB).
    citizen(D(1985, 7, 7), recorded_at=wib(2024, 1, 19, 23, 0))
    # In Kota Kudus: a widow recorded and printed within the window.
    citizen(
        D(1970, 3, 3), DESA_B, marital_status="cerai_mati", recorded_at=wib(2024, 1, 25, 9, 0),
        printed_at=wib(2024, 1, 30, 9, 0),
    )  # fmt: skip
    # Turns 17 on the election day: a first-time voter, aged 16 today.
    citizen(D(2007, 2, 14), DESA_B)
    # Turns 17 the day after the election: aged 16, not a first-time voter.
    citizen(D(2007, 2, 15), DESA_B)


def counts(wajib_ktp, recorded, unrecorded, printed, ikd_activated, recorded_recent) -> dict:
    return {
        "wajib_ktp": wajib_ktp, "recorded": recorded, "unrecorded": unrecorded, "printed": printed,
        "ikd_activated": ikd_activated, "recorded_recent": recorded_recent,
    }  # fmt: skip


def figures(run, area: str, cohort: str) -> dict:
    snapshot = run.snapshots.get(area_code=area, cohort=cohort)
    return {name: getattr(snapshot, name) for name in (*COUNTS, "unrecorded")}


def test_kabupaten_counts_at_every_boundary(population):
    run = coverage_recompute(reference_date=REFERENCE).run

    assert figures(run, "33.19", "all") == counts(10, 6, 4, 2, 1, 3)
    assert figures(run, "33.19", "pemula") == counts(4, 1, 3, 0, 0, 1)
    assert figures(run, "33.19", "age_16") == counts(4, 1, 3, 0, 0, 1)


def test_counts_roll_up_from_desa_to_kecamatan_and_kabupaten(population):
    run = coverage_recompute(reference_date=REFERENCE).run

    assert figures(run, DESA_A, "all")["wajib_ktp"] == 9
    assert figures(run, "33.19.01", "all") == figures(run, DESA_A, "all")
    assert figures(run, "33.19.02", "all") == counts(1, 1, 0, 1, 0, 1)
    assert figures(run, "33.19.02", "pemula")["wajib_ktp"] == 1
    assert figures(run, "33.19.02", "age_16")["wajib_ktp"] == 2
    for cohort in ("all", "pemula", "age_16"):
        desa = run.snapshots.filter(level="desa", cohort=cohort)
        kecamatan = run.snapshots.filter(level="kecamatan", cohort=cohort)
        for name in COUNTS:
            kabupaten = figures(run, "33.19", cohort)[name]
            assert sum(getattr(s, name) for s in desa) == kabupaten
            assert sum(getattr(s, name) for s in kecamatan) == kabupaten


def test_one_run_holds_every_area_and_cohort_even_empty_ones(population):
    run = coverage_recompute(reference_date=REFERENCE).run

    assert run.snapshots.count() == (1 + 9 + 132) * 3
    assert run.snapshots.filter(level="desa", cohort="all").count() == 132
    empty = run.snapshots.get(area_code="33.19.09.2001", cohort="all")
    assert (empty.wajib_ktp, empty.recorded, empty.coverage_pct) == (0, 0, None)
    assert run.reference_date == REFERENCE


def test_the_figures_change_with_the_reference_date(population):
    """A day later the resident turning 17 on 3 Feb is wajib, and the 3 Feb recordings count."""
    run = coverage_recompute(reference_date=REFERENCE + dt.timedelta(days=1)).run

    kabupaten = figures(run, "33.19", "all")
    assert (kabupaten["wajib_ktp"], kabupaten["recorded"]) == (11, 8)


def test_the_default_reference_date_is_today_in_jakarta(regions):
    late_evening_utc = dt.datetime(2024, 2, 2, 18, 0, tzinfo=dt.UTC)  # 01:00 WIB on 3 Feb

    run = coverage_recompute(now=late_evening_utc).run

    assert run.reference_date == D(2024, 2, 3)
    assert run.computed_at == late_evening_utc


def test_coverage_percent_is_rounded_down_so_100_means_complete():
    assert CoverageSnapshot.percent(641_171, 643_069) == 99.70
    assert CoverageSnapshot.percent(99_999, 100_000) == 99.99
    assert CoverageSnapshot.percent(5, 5) == 100.0
    assert CoverageSnapshot.percent(0, 0) is None


@pytest.mark.parametrize("reference", [D(2024, 2, 2), D(2024, 2, 29), D(2023, 2, 28), D(2024, 2, 14)])
def test_sql_counts_agree_with_the_python_eligibility_rules(regions, reference):
    """Random residents around every threshold: the grouped SQL equals the per-person rules."""
    rng = random.Random(reference.toordinal())
    anchors = [D(2007, 2, 14), D(2008, 2, 29), D(2002, 4, 18), age_cutoff(reference, 17)]
    for _ in range(120):
        birth = rng.choice(anchors) + dt.timedelta(days=rng.randint(-400, 400))
        recorded = rng.choice([None, wib(2024, 1, 1, 9), wib(2024, 2, 2, 23, 59), wib(2024, 3, 1, 0, 1)])
        citizen(
            birth, rng.choice([DESA_A, DESA_B]), marital_status=rng.choice(["belum_kawin"] * 4 + ["kawin"]),
            deceased=rng.random() < 0.05, moved_out=rng.random() < 0.05, recorded_at=recorded,
        )  # fmt: skip
    t = coverage_thresholds(reference)

    by_desa = coverage_count_by_desa(t)

    expected = {"all": [0, 0], "pemula": [0, 0], "age_16": [0, 0]}
    for c in Citizen.objects.all():
        person = person_of(c)
        recorded = c.recorded_at is not None and c.recorded_at < t.until
        cohorts = {
            "all": is_wajib_ktp(person, reference),
            "pemula": person.living_resident
            and is_pemula(c.birth_date, previous_election=t.previous_election_date, election=t.election_date),
            "age_16": may_record(person, reference) and not is_wajib_ktp(person, reference),
        }
        for cohort, member in cohorts.items():
            if member:
                expected[cohort][0] += 1
                expected[cohort][1] += recorded
    for cohort, (base, recorded) in expected.items():
        assert sum(d[cohort]["wajib_ktp"] for d in by_desa.values()) == base
        assert sum(d[cohort]["recorded"] for d in by_desa.values()) == recorded


@pytest.mark.parametrize("reference", [D(2024, 2, 2), D(2024, 2, 29)])
def test_school_gaps_agree_with_the_python_rules_per_kecamatan_of_residence(regions, reference):
    """Random students of three schools in two kecamatan: the run's school rows equal the per-person
    rules (recording among those who may record, printing and IKD among wajib KTP, first-time
    voters not recorded), living students only, split by the kecamatan they live in."""
    rng = random.Random(reference.toordinal() + 1)
    moments = [None, wib(2024, 1, 1, 9), wib(2024, 2, 2, 23, 59), wib(2024, 3, 1, 0, 1)]
    for _ in range(150):
        birth = rng.choice([D(2007, 2, 14), D(2008, 2, 29), age_cutoff(reference, 17)])
        citizen(
            birth + dt.timedelta(days=rng.randint(-500, 500)), rng.choice([DESA_A, DESA_B]),
            school=rng.choice(["SMA 1 Kudus", "SMK 2 Kudus", "MA Qudsiyyah", ""]),
            marital_status=rng.choice(["belum_kawin"] * 6 + ["kawin"]),
            deceased=rng.random() < 0.05, moved_out=rng.random() < 0.05,
            recorded_at=rng.choice(moments), printed_at=rng.choice(moments),
            ikd_activated_at=rng.choice(moments),
        )  # fmt: skip
    t = coverage_thresholds(reference)

    def done(moment) -> bool:
        return moment is not None and moment < t.until

    expected: dict[tuple[str, str], dict[str, int]] = {}
    for c in Citizen.objects.select_related("desa"):
        person = person_of(c)
        if not c.school or not person.living_resident:
            continue
        wajib = is_wajib_ktp(person, reference)
        pemula = is_pemula(c.birth_date, previous_election=t.previous_election_date, election=t.election_date)
        row = expected.setdefault(
            (c.school, c.desa.kecamatan_id), dict.fromkeys(("students", *(f"gap_{m}" for m in MEASURES)), 0)
        )
        row["students"] += 1
        row["gap_recording"] += may_record(person, reference) and not done(c.recorded_at)
        row["gap_printing"] += wajib and not done(c.printed_at)
        row["gap_ikd"] += wajib and not done(c.ikd_activated_at)
        row["gap_pemula"] += pemula and not done(c.recorded_at)

    counted = {(r.pop("school"), r.pop("kecamatan_code")): r for r in coverage_count_by_school(t)}

    assert counted == expected and len(expected) == 6
    expected_row = next(iter(expected.values()))
    run = coverage_recompute(reference_date=reference).run
    stored = SchoolCoverage.objects.filter(run=run).values()
    assert {
        (r["school"], r["kecamatan_code"]): {key: r[key] for key in expected_row} for r in stored
    } == expected  # the run writes what it counted
