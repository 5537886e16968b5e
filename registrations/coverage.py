"""The coverage engine: how far each area is from 100% e-KTP recording, as of a reference date.

One GROUP BY query over the living residents, grouped by desa, counts every cohort at once with
conditional aggregates (`COUNT(*) FILTER (WHERE …)` on PostgreSQL); the 132 desa rows are then
rolled up to the 9 kecamatan and the kabupaten in Python. Citizens are never iterated in Python.
The age thresholds come from `registrations.eligibility` (`age_cutoff`, `pemula_birth_range`), so
the SQL and the per-person Python rules always agree.

Cohorts (the base each rate is measured against, counts among that base):
- `all`: wajib KTP — living residents aged 17 or more on the reference date, or ever married;
- `pemula`: first-time voters of the configured election — living residents whose 17th birthday
  falls after the previous election day and on or before the election day;
- `age_16`: living unmarried residents aged exactly 16 — they may record, but are not yet wajib.

A run writes one `CoverageRun` and one `CoverageSnapshot` per area and cohort in ONE transaction, so
readers (dashboard, API, projection, targets) only ever see complete runs and a failed run leaves the
previous one current. One run at a time writes (a transaction-scoped advisory lock on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.access import DESK_STAFF, require_role
from core.exceptions import ApplicationError
from core.models import OutboxMessage
from core.outbox import outbox_enqueue
from regions.models import Desa, Kecamatan
from registrations.eligibility import RECORDING_AGE, WAJIB_KTP_AGE, age_cutoff, pemula_birth_range
from registrations.models import Citizen, CoverageRun, CoverageSnapshot, SchoolCoverage

logger = logging.getLogger(__name__)

TASK_NAME = "registrations.tasks.recompute_coverage"
# Other parts publish the refresh through the outbox with this key: at most one pending refresh.
DEDUPE_KEY = "coverage-refresh"
# Any constant unique to this lock among the portal's advisory locks ("KDCV").
ADVISORY_LOCK_KEY = 0x4B44_4356

# The current run: the latest reference date, then the latest computation.
CURRENT_FIRST = ("-reference_date", "-computed_at", "-id")
COHORTS = tuple(CoverageSnapshot.Cohort.values)  # ("all", "pemula", "age_16")
COUNTS = ("wajib_ktp", "recorded", "printed", "ikd_activated", "recorded_recent")

# Test-only hooks: `_lock_enabled = False` proves the concurrency test can fail; `_before_write` runs
# inside the transaction, after counting and before writing.
_lock_enabled = True
_before_write: Callable[[], None] | None = None


class CoverageNotComputedError(ApplicationError):
    code = "coverage_not_computed"
    status_code = 404
    default_message = _("Coverage has not been computed yet.")


@dataclass(frozen=True)
class Thresholds:
    """The dates that decide every count, derived from one reference date."""

    reference_date: dt.date
    wajib_born_by: dt.date  # aged 17 or more on the reference date
    record_born_by: dt.date  # aged 16 or more
    pemula_from: dt.date
    pemula_to: dt.date
    until: dt.datetime  # events before the end of the reference date (Asia/Jakarta) count
    recent_since: dt.datetime  # start of the recent window (for the daily rate)
    recent_days: int
    election_date: dt.date
    previous_election_date: dt.date


def coverage_thresholds(
    reference_date: dt.date,
    *,
    election_date: dt.date | None = None,
    previous_election_date: dt.date | None = None,
    recent_days: int | None = None,
) -> Thresholds:
    election_date = election_date or settings.ELECTION_DATE
    previous_election_date = previous_election_date or settings.PREVIOUS_ELECTION_DATE
    recent_days = recent_days or settings.COVERAGE_RECENT_DAYS
    pemula_from, pemula_to = pemula_birth_range(
        previous_election=previous_election_date, election=election_date
    )
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    day_after = dt.datetime.combine(reference_date + dt.timedelta(days=1), dt.time.min, tz)
    return Thresholds(
        reference_date=reference_date,
        wajib_born_by=age_cutoff(reference_date, WAJIB_KTP_AGE),
        record_born_by=age_cutoff(reference_date, RECORDING_AGE),
        pemula_from=pemula_from,
        pemula_to=pemula_to,
        until=day_after,
        recent_since=day_after - dt.timedelta(days=recent_days),
        recent_days=recent_days,
        election_date=election_date,
        previous_election_date=previous_election_date,
    )


def living_residents():
    return Citizen.objects.filter(deceased=False, moved_out=False)


def cohort_conditions(t: Thresholds) -> dict[str, Q]:
    """Each cohort as a condition on a living resident."""
    unmarried = Q(marital_status=Citizen.MaritalStatus.BELUM_KAWIN)
    return {
        "all": ~unmarried | Q(birth_date__lte=t.wajib_born_by),
        "pemula": Q(birth_date__gte=t.pemula_from, birth_date__lte=t.pemula_to),
        "age_16": unmarried & Q(birth_date__gt=t.wajib_born_by, birth_date__lte=t.record_born_by),
    }


def count_conditions(t: Thresholds) -> dict[str, Q | None]:
    """Each count as a condition within a cohort (None: the whole cohort)."""
    return {
        "wajib_ktp": None,
        "recorded": Q(recorded_at__lt=t.until),
        "printed": Q(printed_at__lt=t.until),
        "ikd_activated": Q(ikd_activated_at__lt=t.until),
        "recorded_recent": Q(recorded_at__gte=t.recent_since, recorded_at__lt=t.until),
    }


def may_record_condition(t: Thresholds) -> Q:
    """Living residents who may record on the reference date: aged 16 or more, or ever married."""
    return ~Q(marital_status=Citizen.MaritalStatus.BELUM_KAWIN) | Q(birth_date__lte=t.record_born_by)


def unrecorded_condition(t: Thresholds) -> Q:
    return Q(recorded_at__isnull=True) | Q(recorded_at__gte=t.until)


def pemula_condition(t: Thresholds) -> Q:
    return Q(birth_date__gte=t.pemula_from, birth_date__lte=t.pemula_to)


# The measures of the map, the drill-down and the targets, each as "not yet served".
MEASURES = ("recording", "printing", "ikd", "pemula")


def service_gap_conditions(t: Thresholds) -> dict[str, Q]:
    """Per measure, the living residents it counts as not yet served: residents who may record
    (wajib KTP and unmarried 16-year-olds) not recorded; wajib KTP not printed / without IKD;
    first-time voters not recorded (the snapshots' arithmetic, with the age_16 cohort added)."""
    wajib = cohort_conditions(t)["all"]
    return {
        "recording": may_record_condition(t) & unrecorded_condition(t),  # the 16-year-olds too
        "printing": wajib & (Q(printed_at__isnull=True) | Q(printed_at__gte=t.until)),
        "ikd": wajib & (Q(ikd_activated_at__isnull=True) | Q(ikd_activated_at__gte=t.until)),
        "pemula": pemula_condition(t) & unrecorded_condition(t),
    }


Counts = dict[str, int]


def coverage_count_by_desa(t: Thresholds) -> dict[str, dict[str, Counts]]:
    """{desa code: {cohort: {count: n}}} in ONE grouped query over the living residents."""
    cohorts = cohort_conditions(t)
    counts = count_conditions(t)
    aggregates = {}
    for cohort, cohort_q in cohorts.items():
        for name, count_q in counts.items():
            condition = cohort_q if count_q is None else cohort_q & count_q
            aggregates[f"{cohort}__{name}"] = Count("id", filter=condition)
    any_cohort = cohorts["all"] | cohorts["pemula"] | cohorts["age_16"]
    rows = living_residents().filter(any_cohort).values("desa_id").annotate(**aggregates).order_by()
    result: dict[str, dict[str, Counts]] = {}
    for row in rows:
        result[row["desa_id"]] = {
            cohort: {name: row[f"{cohort}__{name}"] for name in COUNTS} for cohort in COHORTS
        }
    return result


def coverage_count_by_school(t: Thresholds) -> list[dict]:
    """Per school and kecamatan of residence, the living students and their gap of every measure,
    in ONE grouped query over the residents with a school."""
    gaps = {f"gap_{m}": Count("id", filter=q) for m, q in service_gap_conditions(t).items()}
    rows = (
        living_residents()
        .filter(school__gt="")
        .values("school", "desa__kecamatan_id")
        .annotate(students=Count("id"), **gaps)
        .order_by()
    )
    return [
        {"school": row.pop("school"), "kecamatan_code": row.pop("desa__kecamatan_id"), **row} for row in rows
    ]


@dataclass(frozen=True)
class AreaCounts:
    level: str
    area_code: str
    parent_code: str
    cohort: str
    counts: Counts


def coverage_rollup(by_desa: dict[str, dict[str, Counts]]) -> list[AreaCounts]:
    """Every desa (zeros where nobody lives), every kecamatan and the kabupaten, for every cohort."""
    kabupaten = settings.KUDUS_KABUPATEN_CODE
    zero = dict.fromkeys(COUNTS, 0)
    kecamatan_codes = Kecamatan.objects.filter(kabupaten_id=kabupaten).order_by("code")
    totals = {
        (code, cohort): dict(zero)
        for code in [kabupaten, *kecamatan_codes.values_list("code", flat=True)]
        for cohort in COHORTS
    }
    areas: list[AreaCounts] = []
    desa_rows = Desa.objects.filter(kecamatan__kabupaten_id=kabupaten).order_by("code")
    for desa_code, kecamatan_code in desa_rows.values_list("code", "kecamatan_id"):
        for cohort in COHORTS:
            counts = by_desa.get(desa_code, {}).get(cohort, zero)
            areas.append(AreaCounts("desa", desa_code, kecamatan_code, cohort, dict(counts)))
            for key in ((kecamatan_code, cohort), (kabupaten, cohort)):
                total = totals[key]
                for name in COUNTS:
                    total[name] += counts[name]
    for (code, cohort), counts in totals.items():
        if code == kabupaten:
            areas.append(AreaCounts("kabupaten", code, "", cohort, counts))
        else:
            areas.append(AreaCounts("kecamatan", code, kabupaten, cohort, counts))
    return areas


class RecomputeStatus(enum.StrEnum):
    COMPUTED = "computed"
    BUSY = "busy"  # another run holds the lock
    FRESH = "fresh"  # a run that started after the request has already completed


@dataclass(frozen=True)
class RecomputeResult:
    status: RecomputeStatus
    run: CoverageRun | None


def _lock_try() -> bool:
    """Take the coverage lock for the current transaction, without waiting."""
    if not _lock_enabled:
        return True
    if connection.vendor == "postgresql":
        # Transaction-scoped: released by COMMIT or ROLLBACK, even if the worker dies mid-run.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
            return bool(cursor.fetchone()[0])
    # SQLite (the embedded default) opens every transaction with BEGIN IMMEDIATE: a second run
    # already waited for the first at BEGIN, and the freshness check then skips it.
    return True


def coverage_recompute(
    *,
    reference_date: dt.date | None = None,
    now: dt.datetime | None = None,
    requested_at: dt.datetime | None = None,
) -> RecomputeResult:
    """Compute and store one snapshot set (all areas, all cohorts) as of `reference_date`.

    Runs in one transaction under a lock: if another run holds it, nothing is written (BUSY); if
    a run whose counting started at or after `requested_at` has completed, its figures already
    include everything the request was about, so nothing is written (FRESH). Idempotent: two runs
    over the same data give the same counts.
    """
    clock = time.monotonic()
    with transaction.atomic():
        if not _lock_try():
            return RecomputeResult(RecomputeStatus.BUSY, None)
        started_at = now or timezone.now()
        reference_date = reference_date or timezone.localdate(started_at)
        if requested_at is not None:
            # Checked under the lock, so a run that committed while we waited is visible here.
            fresher = CoverageRun.objects.filter(started_at__gte=requested_at, reference_date=reference_date)
            if run := fresher.order_by("-computed_at", "-id").first():
                return RecomputeResult(RecomputeStatus.FRESH, run)
        t = coverage_thresholds(reference_date)
        areas = coverage_rollup(coverage_count_by_desa(t))
        schools = coverage_count_by_school(t)
        if _before_write is not None:
            _before_write()
        computed_at = now or timezone.now()
        run = CoverageRun.objects.create(
            started_at=started_at,
            computed_at=computed_at,
            reference_date=t.reference_date,
            requested_at=requested_at,
            duration_ms=0,
            recent_days=t.recent_days,
            election_date=t.election_date,
            previous_election_date=t.previous_election_date,
        )
        CoverageSnapshot.objects.bulk_create(
            CoverageSnapshot(
                run=run,
                computed_at=computed_at,
                reference_date=t.reference_date,
                level=area.level,
                area_code=area.area_code,
                parent_code=area.parent_code,
                cohort=area.cohort,
                unrecorded=area.counts["wajib_ktp"] - area.counts["recorded"],
                **area.counts,
            )
            for area in areas
        )
        SchoolCoverage.objects.bulk_create(SchoolCoverage(run=run, **row) for row in schools)
        run.duration_ms = round((time.monotonic() - clock) * 1000)
        CoverageRun.objects.filter(pk=run.pk).update(duration_ms=run.duration_ms)
    logger.info(
        "coverage run %s as of %s: %s rows, %s schools, %s ms",
        run.pk,
        t.reference_date,
        len(areas),
        len(schools),
        run.duration_ms,
    )
    return RecomputeResult(RecomputeStatus.COMPUTED, run)


# --- Thinning --------------------------------------------------------------------------------
KEEP_ALL_FOR = dt.timedelta(days=1)
KEEP_HOURLY_FOR = dt.timedelta(days=7)


def coverage_snapshots_thin(*, now: dt.datetime | None = None) -> int:
    """Thin old runs; returns how many runs were deleted (their snapshots go with them).

    Keeps every run of the last 24 hours, the last run of each hour (Asia/Jakarta) for the last
    7 days, and the last run of each day before that — and never the current run. Only run
    rows (a few thousand at most) are read; citizens are not touched.
    """
    now = now or timezone.now()
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    latest = CoverageRun.objects.order_by(*CURRENT_FIRST).values_list("id", flat=True)[:1]
    keep: dict[tuple, tuple[dt.datetime, int]] = {}
    candidates: list[int] = []
    old = CoverageRun.objects.filter(computed_at__lt=now - KEEP_ALL_FOR)
    for run_id, computed_at, reference_date in old.values_list("id", "computed_at", "reference_date"):
        local = computed_at.astimezone(tz)
        # Runs recomputed for a past reference date are thinned among themselves, not with today's.
        if computed_at >= now - KEEP_HOURLY_FOR:
            bucket = (reference_date, local.date(), local.hour)
        else:
            bucket = (reference_date, local.date(), None)
        candidates.append(run_id)
        if bucket not in keep or (computed_at, run_id) > keep[bucket]:
            keep[bucket] = (computed_at, run_id)
    kept = {run_id for _at, run_id in keep.values()} | set(latest)
    doomed = [run_id for run_id in candidates if run_id not in kept]
    with transaction.atomic():
        for start in range(0, len(doomed), 500):
            chunk = doomed[start : start + 500]
            CoverageSnapshot.objects.filter(run_id__in=chunk).delete()
            CoverageRun.objects.filter(id__in=chunk).delete()
    return len(doomed)


# --- Publication -----------------------------------------------------------------------------
def coverage_refresh_request(*, actor=None, now: dt.datetime | None = None) -> OutboxMessage:
    """Ask for a recompute soon, through the outbox (debounced: at most one refresh pending).

    By staff with a working role (core.access.may_write: not viewers, not staff without a role):
    NotPermittedError (403) otherwise. `actor=None` is the system.

    Returns the outbox message; its `task_id` is set once it is relayed, which happens right after
    the commit unless the broker is down (then the sweeper publishes it later, or it expires: the
    next beat run makes it moot). Completions publish the same way with the same dedupe key.
    """
    require_role(actor, DESK_STAFF)
    now = now or timezone.now()
    with transaction.atomic():
        message = outbox_enqueue(
            TASK_NAME,
            {"requested_at": now.isoformat()},
            dedupe_key=DEDUPE_KEY,
            expires_at=now + dt.timedelta(seconds=settings.COVERAGE_TASK_EXPIRES),
        )
    message.refresh_from_db()  # the relay after the commit recorded the task id (or left it pending)
    return message
