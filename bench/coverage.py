#!/usr/bin/env python3
"""Benchmark the coverage recompute against a bare hand-written GROUP BY, in the same run.

    make bench-coverage                                 # 65k, 650k and 870k residents (throwaway PostgreSQL)
    make bench-coverage BENCH_ARGS=--huge               # … and 6.5M (several minutes of seeding)
    python bench/coverage.py --sizes 650000 --repeat 9  # with DATABASE_URL set

For each size the demo population (`demo_population_generate`, seed 2024, as of today) is seeded,
or reused when the database already holds that size seeded today. 870,000 is `seed_demo`'s default:
its kabupaten figure must read 641,171 of 643,069 (99.70%), and every size must match the counts
the generator aimed at. Then, after a warm-up, it times (median of --repeat runs):

- the task: `registrations.tasks.recompute_coverage` run in process — one grouped query with
  15 conditional counts over 3 cohorts, the roll-up to 142 areas, and 426 snapshot rows written in
  one transaction under the lock;
- bare SQL: one hand-written `GROUP BY ROLLUP (kecamatan)` giving wajib KTP and recorded counts
  for the kecamatan and the kabupaten, nothing written.

and prints both, their ratio (target ≤ 2×) and the absolute time (target well under 2 s).
"""

from __future__ import annotations

import argparse
import statistics
import time

from _setup import setup_django

DEMO_DEFAULT = 870_000
SIZES = (65_000, 650_000, DEMO_DEFAULT)
HUGE = 6_500_000
SEED = 2024

BARE_SQL = """
SELECT d.kecamatan_id,
       count(*) AS wajib_ktp,
       count(*) FILTER (WHERE c.recorded_at < %(until)s) AS recorded
FROM registrations_citizen c
JOIN regions_desa d ON d.code = c.desa_id
WHERE NOT c.deceased AND NOT c.moved_out
  AND (c.marital_status <> 'belum_kawin' OR c.birth_date <= %(wajib_born_by)s)
GROUP BY ROLLUP (d.kecamatan_id)
"""


def seed_or_reuse(size: int) -> tuple[bool, object]:
    """(reused?, demo result) — reseeds unless the database holds this size, seeded today."""
    from django.db import connection
    from django.utils import timezone

    from registrations.models import Citizen
    from registrations.services.demo import DemoResult, demo_population_generate, scaled_targets

    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_coverage_seed (citizens int, seed int, day date)")
        cursor.execute("SELECT citizens, seed, day FROM bench_coverage_seed")
        marker = cursor.fetchone()
    if marker == (size, SEED, today) and Citizen.objects.count() == size:
        _living, wajib, unrecorded = scaled_targets(size)
        return True, DemoResult(size, wajib, wajib - unrecorded, unrecorded, today)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE registrations_citizen CASCADE")
        cursor.execute("DELETE FROM bench_coverage_seed")
    started = time.perf_counter()
    result = demo_population_generate(citizens=size, seed=SEED, today=today)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_coverage_seed VALUES (%s, %s, %s)", [size, SEED, today])
        cursor.execute("VACUUM ANALYZE registrations_citizen")  # what autovacuum does after a bulk load
    print(f"  seeded {size:,} residents in {time.perf_counter() - started:.0f} s")
    return False, result


def timed(function, repeat: int) -> tuple[float, object]:
    function()  # warm-up: caches, plans
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), value


def bench(size: int, repeat: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from registrations.coverage import coverage_thresholds
    from registrations.models import CoverageRun
    from registrations.tasks import recompute_coverage

    print(f"{size:,} residents")
    reused, demo = seed_or_reuse(size)
    if reused:
        print("  reusing the population seeded today")
    t = coverage_thresholds(timezone.localdate())

    def task():
        return recompute_coverage.apply().get()

    def bare():
        with connection.cursor() as cursor:
            cursor.execute(BARE_SQL, {"until": t.until, "wajib_born_by": t.wajib_born_by})
            return cursor.fetchall()

    task_seconds, outcome = timed(task, repeat)
    bare_seconds, rows = timed(bare, repeat)
    run = CoverageRun.objects.get(pk=outcome["run_id"])
    kabupaten = run.snapshots.get(area_code="33.19", cohort="all")
    bare_kabupaten = next(row for row in rows if row[0] is None)
    assert (kabupaten.wajib_ktp, kabupaten.recorded) == bare_kabupaten[1:], "task and bare SQL disagree"
    matches = (kabupaten.wajib_ktp, kabupaten.recorded) == (demo.wajib_ktp, demo.recorded)
    verdict = (
        "as generated" if matches else f"DIFFERS from the generated {demo.recorded:,} / {demo.wajib_ktp:,}"
    )
    figure = f"{kabupaten.recorded:,} of {kabupaten.wajib_ktp:,} ({kabupaten.coverage_pct:.2f}%)"
    print(f"  kabupaten: {figure}, {verdict}")
    print(f"  task (recompute_coverage): {task_seconds * 1000:8.0f} ms")
    print(f"  bare GROUP BY ROLLUP:      {bare_seconds * 1000:8.0f} ms")
    print(f"  ratio task / bare: {task_seconds / bare_seconds:.2f}x")
    return {"size": size, "task": task_seconds, "bare": bare_seconds, "figure_ok": matches}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=list(SIZES))
    parser.add_argument("--huge", action="store_true", help=f"also {HUGE:,} residents")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    sizes = [*args.sizes, *([HUGE] if args.huge else [])]
    results = [bench(size, args.repeat) for size in sizes]
    print("\n| residents | task | bare SQL | ratio |")
    print("|---:|---:|---:|---:|")
    for r in results:
        task_ms, bare_ms = r["task"] * 1000, r["bare"] * 1000
        print(f"| {r['size']:,} | {task_ms:.0f} ms | {bare_ms:.0f} ms | {task_ms / bare_ms:.2f}x |")
    if not all(r["figure_ok"] for r in results):
        raise SystemExit("a kabupaten figure differs from the generated population")


if __name__ == "__main__":
    main()
