"""Reads of coverage: the latest run, history, projection, jemput-bola targets and the field export.

Figures come from the latest complete `CoverageRun` (its area snapshots and school rows), never the
raw citizens table, except what depends on the reader's choice or names people: the birthdays up to
a chosen date (one grouped query over the narrow band of birth dates concerned, on its index) and
the export of named residents (one streamed query), both under the run's eligibility thresholds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import kecamatan_scope
from regions.models import Desa, Kabupaten, Kecamatan
from registrations.coverage import (
    CURRENT_FIRST,
    MEASURES,
    CoverageNotComputedError,
    Thresholds,
    coverage_thresholds,
    living_residents,
    may_record_condition,
    pemula_condition,
    unrecorded_condition,
)
from registrations.eligibility import age_cutoff, age_on
from registrations.models import CoverageRun, CoverageSnapshot
from registrations.nik import mask_nik

Level = CoverageSnapshot.Level
Cohort = CoverageSnapshot.Cohort


def coverage_latest_run() -> CoverageRun:
    """The current run: latest reference date, then latest computation. Every committed run is
    complete (it is written in one transaction)."""
    run = CoverageRun.objects.order_by(*CURRENT_FIRST).first()
    if run is None:
        raise CoverageNotComputedError()
    return run


def area_names(*, desa: bool = True) -> dict[str, str]:
    names = dict(Kabupaten.objects.values_list("code", "name"))
    names.update(Kecamatan.objects.values_list("code", "name"))
    if desa:
        names.update(Desa.objects.values_list("code", "name"))
    return names


def area_level(code: str) -> str:
    """The level of an area code, or 404 when no such area exists."""
    if Kabupaten.objects.filter(code=code).exists():
        return Level.KABUPATEN
    if Kecamatan.objects.filter(code=code).exists():
        return Level.KECAMATAN
    if Desa.objects.filter(code=code).exists():
        return Level.DESA
    raise Http404(code)


def figures(snapshot: CoverageSnapshot, names: dict[str, str]) -> dict:
    """The public figures of one snapshot (the shape of every area in the coverage API)."""
    return {
        "code": snapshot.area_code,
        "name": names.get(snapshot.area_code, ""),
        "wajib_ktp": snapshot.wajib_ktp,
        "recorded": snapshot.recorded,
        "unrecorded": snapshot.unrecorded,
        "coverage_pct": snapshot.coverage_pct,
        "printed": snapshot.printed,
        "printed_pct": snapshot.printed_pct,
        "ikd_activated": snapshot.ikd_activated,
        "ikd_activated_pct": snapshot.ikd_activated_pct,
    }


def coverage_overview(*, kecamatan: str | None = None) -> dict:
    """The kabupaten, its kecamatan (by code) and its cohorts; with `kecamatan`, that one's desa too."""
    run = coverage_latest_run()
    wanted = Q(level__in=[Level.KABUPATEN, Level.KECAMATAN])
    if kecamatan is not None:
        if not Kecamatan.objects.filter(code=kecamatan).exists():
            raise Http404(kecamatan)
        wanted |= Q(level=Level.DESA, parent_code=kecamatan, cohort=Cohort.ALL)
    snapshots = list(run.snapshots.filter(wanted).order_by("area_code", "cohort"))
    names = area_names(desa=kecamatan is not None)
    kabupaten = {s.cohort: s for s in snapshots if s.level == Level.KABUPATEN}
    overview = {
        "run_id": run.pk,
        "computed_at": run.computed_at,
        "reference_date": run.reference_date,
        "target_pct": 100,
        "kabupaten": figures(kabupaten[Cohort.ALL], names),
        "kecamatan": [
            figures(s, names) for s in snapshots if s.level == Level.KECAMATAN and s.cohort == "all"
        ],
        "cohorts": {
            "pemula": figures(kabupaten[Cohort.PEMULA], names),
            "age_16": figures(kabupaten[Cohort.AGE_16], names),
        },
    }
    if kecamatan is not None:
        overview["desa"] = [figures(s, names) for s in snapshots if s.level == Level.DESA]
    return overview


def coverage_history(
    *, area_code: str, cohort: str = Cohort.ALL, days: int = 30, today: dt.date | None = None
) -> QuerySet[CoverageSnapshot]:
    """The snapshots of one area and cohort whose reference date is within the last `days` days,
    in time order (reference date, then computation)."""
    since = (today or timezone.localdate()) - dt.timedelta(days=days)
    snapshots = CoverageSnapshot.objects.filter(area_code=area_code, cohort=cohort, reference_date__gt=since)
    return snapshots.order_by("reference_date", "computed_at", "id")


# --- Projection ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AreaProjection:
    code: str
    name: str
    wajib_ktp: int
    recorded: int
    unrecorded: int
    coverage_pct: float | None
    daily_rate: float  # recordings per day over the recent window (citizens' recorded_at)
    net_daily_change: float | None  # fall of `unrecorded` per day since the baseline run (newcomers included)
    projected_date: dt.date | None  # when `unrecorded` reaches 0 at `daily_rate`; None if the rate is 0
    days_left: int  # days after the reference date up to and including the target date
    required_daily: int | None  # recordings per day to reach 100% by the target date; None if passed
    on_track: bool | None


def project_area(
    snapshot: CoverageSnapshot,
    *,
    name: str,
    recent_days: int,
    target_date: dt.date,
    baseline: CoverageSnapshot | None = None,
) -> AreaProjection:
    """Projection arithmetic for one area (pure: no queries)."""
    reference = snapshot.reference_date
    unrecorded = snapshot.unrecorded
    rate = snapshot.recorded_recent / recent_days
    days_left = (target_date - reference).days
    if unrecorded == 0:
        projected, required = reference, 0
    else:
        projected = reference + dt.timedelta(days=math.ceil(unrecorded / rate)) if rate > 0 else None
        required = math.ceil(unrecorded / days_left) if days_left > 0 else None
    if unrecorded == 0:
        on_track: bool | None = True
    elif days_left <= 0:
        on_track = None
    else:
        on_track = projected is not None and projected <= target_date
    net = None
    if baseline is not None and baseline.reference_date < reference:
        net = round((baseline.unrecorded - unrecorded) / (reference - baseline.reference_date).days, 2)
    return AreaProjection(
        code=snapshot.area_code,
        name=name,
        wajib_ktp=snapshot.wajib_ktp,
        recorded=snapshot.recorded,
        unrecorded=unrecorded,
        coverage_pct=snapshot.coverage_pct,
        daily_rate=round(rate, 2),
        net_daily_change=net,
        projected_date=projected,
        days_left=days_left,
        required_daily=required,
        on_track=on_track,
    )


def _baseline_run(run: CoverageRun) -> CoverageRun | None:
    """The run to measure the net trend against: the latest one at least `recent_days` days
    earlier (by reference date), else the earliest one at least a day earlier; None without one."""
    earlier = CoverageRun.objects.filter(reference_date__lte=run.reference_date - dt.timedelta(days=1))
    window = earlier.filter(reference_date__lte=run.reference_date - dt.timedelta(days=run.recent_days))
    return (
        window.order_by(*CURRENT_FIRST).first() or earlier.order_by("reference_date", "computed_at").first()
    )


def coverage_projection(*, target_date: dt.date | None = None, cohort: str = Cohort.ALL) -> dict:
    """When 100% is reached at the recent rate, and what daily rate reaches it by `target_date`
    (default: the election date setting), for the kabupaten and each kecamatan."""
    run = coverage_latest_run()
    target_date = target_date or settings.ELECTION_DATE
    levels = [Level.KABUPATEN, Level.KECAMATAN]
    current = run.snapshots.filter(level__in=levels, cohort=cohort).order_by("area_code")
    baseline_run = _baseline_run(run)
    baselines = {}
    if baseline_run is not None:
        baselines = {s.area_code: s for s in baseline_run.snapshots.filter(level__in=levels, cohort=cohort)}
    names = area_names(desa=False)
    projections = [
        project_area(
            s,
            name=names.get(s.area_code, ""),
            recent_days=run.recent_days,
            target_date=target_date,
            baseline=baselines.get(s.area_code),
        )
        for s in current
    ]
    return {
        "run_id": run.pk,
        "computed_at": run.computed_at,
        "reference_date": run.reference_date,
        "target_date": target_date,
        "target_pct": 100,
        "cohort": cohort,
        "recent_days": run.recent_days,
        "baseline_reference_date": baseline_run.reference_date if baseline_run else None,
        "kabupaten": next(p for p in projections if p.code == settings.KUDUS_KABUPATEN_CODE),
        "kecamatan": [p for p in projections if p.code != settings.KUDUS_KABUPATEN_CODE],
    }


# --- Targets (jemput bola) -------------------------------------------------------------------
def _run_thresholds(run: CoverageRun) -> Thresholds:
    return coverage_thresholds(
        run.reference_date,
        election_date=run.election_date,
        previous_election_date=run.previous_election_date,
        recent_days=run.recent_days,
    )


def coverage_targets(*, user, limit: int = 20, kecamatan: str | None = None) -> dict:
    """Desa and schools ranked by unrecorded residents who may record: first-time voters first,
    then all of them. Desa come from the latest run's snapshots, schools from its school rows
    (counted with the same thresholds). Limited to the user's kecamatan."""
    run = coverage_latest_run()
    scope = kecamatan_scope(user)
    if kecamatan is not None and (
        not Kecamatan.objects.filter(code=kecamatan).exists()
        or (scope is not None and kecamatan not in scope)
    ):
        raise Http404(kecamatan)
    kecamatan_codes = {kecamatan} if kecamatan else scope  # None: all

    desa_snapshots = run.snapshots.filter(level=Level.DESA)
    if kecamatan_codes is not None:
        desa_snapshots = desa_snapshots.filter(parent_code__in=kecamatan_codes)
    by_desa: dict[str, dict[str, int | str]] = {}
    for code, parent, cohort, unrecorded in desa_snapshots.values_list(
        "area_code", "parent_code", "cohort", "unrecorded"
    ):
        by_desa.setdefault(code, {"code": code, "kecamatan": parent})[cohort] = unrecorded
    names = area_names()
    desa = [
        {
            "code": code,
            "name": names.get(code, ""),
            "kecamatan_code": row["kecamatan"],
            "kecamatan": names.get(str(row["kecamatan"]), ""),
            "pemula_unrecorded": row.get(Cohort.PEMULA, 0),
            "eligible_unrecorded": row.get(Cohort.ALL, 0) + row.get(Cohort.AGE_16, 0),
            "wajib_unrecorded": row.get(Cohort.ALL, 0),
            "age_16_unrecorded": row.get(Cohort.AGE_16, 0),
        }
        for code, row in by_desa.items()
    ]
    desa = [d for d in desa if d["eligible_unrecorded"] or d["pemula_unrecorded"]]
    desa.sort(key=lambda d: (-d["pemula_unrecorded"], -d["eligible_unrecorded"], d["code"]))

    school_rows = run.schools.all()
    if kecamatan_codes is not None:
        school_rows = school_rows.filter(kecamatan_code__in=kecamatan_codes)
    schools = (
        school_rows.values("school")
        .annotate(pemula_unrecorded=Sum("gap_pemula"), eligible_unrecorded=Sum("gap_recording"))
        .filter(eligible_unrecorded__gt=0)
        .order_by("-pemula_unrecorded", "-eligible_unrecorded", "school")[:limit]
    )
    return {
        "run_id": run.pk,
        "computed_at": run.computed_at,
        "reference_date": run.reference_date,
        "desa": desa[:limit],
        "schools": [
            {
                "name": s["school"],
                "pemula_unrecorded": s["pemula_unrecorded"],
                "eligible_unrecorded": s["eligible_unrecorded"],
            }
            for s in schools
        ],
    }


def unrecorded_eligible_residents(t: Thresholds) -> QuerySet:
    """Living residents who may record on the reference date and have not (as of that date)."""
    return living_residents().filter(may_record_condition(t)).filter(unrecorded_condition(t))


EXPORT_COLUMNS = (
    "nik",
    "full_name",
    "sex",
    "age",
    "pemula",
    "desa_code",
    "desa",
    "kecamatan",
    "address",
    "school",
)


def coverage_export_rows(
    *, area_code: str, user, full_nik: bool, on: dt.date | None = None
) -> Iterator[tuple]:
    """The unrecorded eligible residents of an area (kabupaten, kecamatan or desa code) as rows
    of EXPORT_COLUMNS, first-time voters first. Raises Http404 for an unknown area or one outside
    the user's kecamatan. NIKs are masked unless `full_nik`."""
    level = area_level(area_code)
    scope = kecamatan_scope(user)
    t = coverage_thresholds(on or timezone.localdate())  # as of today: field teams want the current list
    residents = unrecorded_eligible_residents(t)
    if level == Level.KABUPATEN:
        if scope is not None:
            raise Http404(area_code)
    elif level == Level.KECAMATAN:
        if scope is not None and area_code not in scope:
            raise Http404(area_code)
        residents = residents.filter(desa__kecamatan_id=area_code)
    else:
        if scope is not None and not Desa.objects.filter(code=area_code, kecamatan_id__in=scope).exists():
            raise Http404(area_code)
        residents = residents.filter(desa_id=area_code)
    pemula = ExpressionWrapper(pemula_condition(t), output_field=BooleanField())
    rows = (
        residents.annotate(is_pemula=pemula)
        .order_by("-is_pemula", "desa_id", "full_name", "id")
        .values_list(
            "nik",
            "full_name",
            "sex",
            "birth_date",
            "is_pemula",
            "desa_id",
            "desa__name",
            "desa__kecamatan__name",
            "address",
            "school",
        )
    )

    yes, no = _("yes"), _("no")

    def generate() -> Iterator[tuple]:
        for nik, name, sex, birth_date, is_pemula, desa_code, desa, kec, address, school in rows.iterator(
            2000
        ):
            yield (
                nik if full_nik else mask_nik(nik),
                name,
                sex,
                age_on(birth_date, t.reference_date),
                yes if is_pemula else no,
                desa_code,
                desa,
                kec,
                address,
                school,
            )

    return generate()


# --- Map and drill-down (one measure per area, from the latest run) -----------------------------


@dataclass(frozen=True)
class AreaGap:
    """The gap of one measure in one area: `base` residents of whom `done` are served."""

    code: str
    parent_code: str
    level: str
    base: int
    done: int

    @property
    def gap(self) -> int:
        return self.base - self.done

    @property
    def gap_pct(self) -> float | None:
        return round(100 * self.gap / self.base, 2) if self.base else None

    @classmethod
    def of(cls, snapshot: CoverageSnapshot, measure: str) -> AreaGap:
        base, done = _measure_of(snapshot, measure)
        return cls(
            code=snapshot.area_code,
            parent_code=snapshot.parent_code,
            level=snapshot.level,
            base=base,
            done=done,
        )


def _measure_of(snapshot: CoverageSnapshot, measure: str) -> tuple[int, int]:
    if measure in ("recording", "pemula"):
        return snapshot.wajib_ktp, snapshot.recorded
    if measure == "printing":
        return snapshot.wajib_ktp, snapshot.printed
    if measure == "ikd":
        return snapshot.wajib_ktp, snapshot.ikd_activated
    raise ValueError(measure)


def coverage_gaps(*, measure: str, levels: tuple[str, ...] = (Level.DESA,)) -> dict:
    """The gap of `measure` (recording, printing or IKD among wajib KTP; recording among
    first-time voters) per area of `levels` in the latest run: {"run": run, "areas": {code: AreaGap}}.
    Not scoped: callers grey out what the user may not see."""
    if measure not in MEASURES:
        raise ValueError(measure)
    run = coverage_latest_run()
    cohort = Cohort.PEMULA if measure == "pemula" else Cohort.ALL
    areas = {}
    for s in run.snapshots.filter(level__in=levels, cohort=cohort).order_by("area_code"):
        areas[s.area_code] = AreaGap.of(s, measure)
    return {"run": run, "areas": areas}


# --- Targets for every service ------------------------------------------------------------------
SERVICES_OF_MEASURE = {
    "recording": ("recording",),
    "printing": ("printing",),
    "ikd": ("ikd_activation",),
    "pemula": ("recording",),
}


def _turning_counts(residents: QuerySet, t: Thresholds, until: dt.date, group_by: str) -> dict[str, dict]:
    """{group: {"turning_16": n, "turning_17": n}}: residents who turn 16 / 17 after the reference
    date, on or before `until`. Only the birth dates between the two bounds are read (the birth
    date index), so the cost follows the band's width, not the population."""
    youngest_16 = age_cutoff(until, 16)  # born on or before: 16 by `until`
    if youngest_16 <= t.wajib_born_by:
        return {}  # `until` is not after the reference date: nobody turns 16 or 17 in between
    conditions = {
        "turning_16": Q(birth_date__gt=t.record_born_by, birth_date__lte=youngest_16),
        "turning_17": Q(birth_date__gt=t.wajib_born_by, birth_date__lte=age_cutoff(until, 17)),
    }
    rows = (
        residents.filter(birth_date__gt=t.wajib_born_by, birth_date__lte=youngest_16)
        .order_by()
        .values(group_by)
        .annotate(**{key: Count("birth_date", filter=q) for key, q in conditions.items()})
    )
    return {row.pop(group_by): row for row in rows}


def service_targets(
    *, user, measure: str, until: dt.date, limit: int = 20, kecamatan: str | None = None
) -> dict:
    """Desa and schools ranked by the gap of `measure`, each with the gaps of all four measures
    (recording counting everyone who may record, the 16-year-olds included), the residents turning
    16 and 17 after the reference date up to `until`, and the services a session there would need
    (those with a gap). Gaps come from the latest run (desa snapshots, school rows of the user's
    kecamatan); only the birthdays are counted live. Scoped to the user's kecamatan; Http404 for a
    kecamatan outside it."""
    if measure not in MEASURES:
        raise ValueError(measure)
    run = coverage_latest_run()
    scope = kecamatan_scope(user)
    if kecamatan is not None and (
        not Kecamatan.objects.filter(code=kecamatan).exists()
        or (scope is not None and kecamatan not in scope)
    ):
        raise Http404(kecamatan)
    codes = {kecamatan} if kecamatan else scope
    t = _run_thresholds(run)
    residents = living_residents()
    if codes is not None:
        residents = residents.filter(desa__kecamatan_id__in=codes)

    desa_snapshots = run.snapshots.filter(level=Level.DESA)
    if codes is not None:
        desa_snapshots = desa_snapshots.filter(parent_code__in=codes)
    by_desa: dict[str, dict] = {}
    # The snapshots' own arithmetic (as AreaGap): recording, printing and IKD among wajib KTP (`all`),
    # recording among first-time voters; plus the unmarried 16-year-olds who may record.
    for code, parent, cohort, base, unrecorded, printed, ikd in desa_snapshots.values_list(
        "area_code", "parent_code", "cohort", "wajib_ktp", "unrecorded", "printed", "ikd_activated"
    ):
        row = by_desa.setdefault(code, {"kecamatan_code": parent, "gaps": {}})
        if cohort == Cohort.AGE_16:
            row["age_16"] = unrecorded
        elif cohort == Cohort.PEMULA:
            row["gaps"]["pemula"] = unrecorded
        else:
            row["gaps"].update(recording=unrecorded, printing=base - printed, ikd=base - ikd)
    names = area_names()
    births = _turning_counts(residents, t, until, "desa_id")
    desa = []
    for code, row in by_desa.items():
        gaps = {m: row["gaps"].get(m, 0) for m in MEASURES}
        gaps["recording"] += row.get("age_16", 0)  # unmarried 16-year-olds may record too
        if not gaps[measure]:
            continue
        desa.append(
            {
                "code": code,
                "name": names.get(code, ""),
                "kecamatan_code": row["kecamatan_code"],
                "kecamatan": names.get(row["kecamatan_code"], ""),
                "gaps": gaps,
                "age_16": row.get("age_16", 0),
                "turning_16": births.get(code, {}).get("turning_16", 0),
                "turning_17": births.get(code, {}).get("turning_17", 0),
            }
        )
    desa.sort(key=lambda d: (-d["gaps"][measure], d["code"]))

    school_rows = run.schools.all()
    if codes is not None:
        school_rows = school_rows.filter(kecamatan_code__in=codes)
    ranked = (
        school_rows.values("school")
        .annotate(**{f"gap_{m}": Sum(f"gap_{m}") for m in MEASURES})
        .filter(**{f"gap_{measure}__gt": 0})
        .order_by(f"-gap_{measure}", "school")[:limit]
    )
    schools = [{"name": s["school"], "gaps": {m: s[f"gap_{m}"] for m in MEASURES}} for s in ranked]
    names_of_schools = [s["name"] for s in schools]
    # A school's kecamatan (for "plan a session here"): where most of its students with this gap
    # live, then most of its students.
    homes: dict[str, tuple[int, int, str]] = {}
    for school, code, gap, students in school_rows.filter(school__in=names_of_schools).values_list(
        "school", "kecamatan_code", f"gap_{measure}", "students"
    ):
        if school not in homes or (gap, students, code) > homes[school]:
            homes[school] = (gap, students, code)
    school_births = (
        _turning_counts(residents.filter(school__in=names_of_schools), t, until, "school")
        if names_of_schools
        else {}
    )
    for row in schools:
        row["kecamatan_code"] = homes[row["name"]][2]
        row["turning_16"] = school_births.get(row["name"], {}).get("turning_16", 0)
        row["turning_17"] = school_births.get(row["name"], {}).get("turning_17", 0)
    for row in [*desa, *schools]:
        row["services"] = sorted(
            {service for m in MEASURES if row["gaps"][m] for service in SERVICES_OF_MEASURE[m]}
        )
    return {
        "run_id": run.pk,
        "computed_at": run.computed_at,
        "reference_date": run.reference_date,
        "measure": measure,
        "until": until,
        "desa": desa[:limit],
        "schools": schools,
    }
