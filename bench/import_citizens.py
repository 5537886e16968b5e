#!/usr/bin/env python3
"""Benchmark `import_citizens` against a bare COPY of the same file, in the same run.

    make bench-import                       # 650,000 rows on a throwaway PostgreSQL
    python bench/import_citizens.py --rows 100000   # with DATABASE_URL set

Prints rows/s of both and their ratio (import time / COPY time). The import validates every row
(NIK, KK, dates, regions) and upserts by NIK, so it is expected to cost a small multiple of COPY.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

from _setup import setup_django


def generate(path: Path, rows: int) -> None:
    from django.utils import timezone

    from registrations.services.citizens_import import COLUMNS
    from registrations.services.demo import _Generator

    gen = _Generator(seed=7, today=timezone.localdate(), tz=timezone.get_current_timezone())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for index in range(rows):
            age = 17 + index % 60
            *values, _living = gen.person(age=age, wajib=True, recorded=index % 300 != 0, married=age > 24)
            writer.writerow(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=650_000)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from registrations.models import Citizen

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "citizens.csv"
        started = time.perf_counter()
        generate(path, args.rows)
        seconds, mib = time.perf_counter() - started, path.stat().st_size >> 20
        print(f"generated {args.rows:,} rows in {seconds:.1f} s ({mib} MiB)")

        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Citizen._meta.db_table} CASCADE")
        started = time.perf_counter()
        call_command("import_citizens", str(path), verbosity=0)
        import_seconds = time.perf_counter() - started
        assert Citizen.objects.count() == args.rows

        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy")
            columns = ", ".join(f"c{i} text" for i in range(15))
            cursor.execute(f"CREATE UNLOGGED TABLE bench_copy ({columns})")
            started = time.perf_counter()
            with path.open(encoding="utf-8") as handle:
                cursor.copy_expert("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
            copy_seconds = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_copy")

    print(f"import_citizens: {args.rows / import_seconds:12,.0f} rows/s  ({import_seconds:.2f} s)")
    print(f"bare COPY:       {args.rows / copy_seconds:12,.0f} rows/s  ({copy_seconds:.2f} s)")
    print(f"ratio import/COPY time: {import_seconds / copy_seconds:.1f}x")


if __name__ == "__main__":
    main()
