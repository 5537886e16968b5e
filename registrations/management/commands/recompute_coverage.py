from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from registrations.coverage import RecomputeStatus, coverage_recompute


class Command(BaseCommand):
    help = (
        "Recompute coverage (kabupaten, kecamatan, desa; cohorts all, pemula, age_16) and store one "
        "snapshot set, as the Celery task does."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=dt.date.fromisoformat, help="Reference date YYYY-MM-DD (default today)."
        )

    def handle(self, *args, date: dt.date | None, **options):
        if date is not None and date > timezone.localdate():
            raise CommandError("The reference date cannot be in the future.")
        result = coverage_recompute(reference_date=date)
        if result.status is RecomputeStatus.BUSY:
            raise CommandError("Another coverage run is in progress; try again in a moment.")
        run = result.run
        kabupaten = run.snapshots.get(level="kabupaten", cohort="all")
        self.stdout.write(
            self.style.SUCCESS(
                f"Coverage run {run.pk} as of {run.reference_date}: {kabupaten.recorded:,} of "
                f"{kabupaten.wajib_ktp:,} wajib KTP recorded ({kabupaten.coverage_pct:.2f}%), "
                f"{kabupaten.unrecorded:,} not yet; "
                f"{run.snapshots.count()} snapshots in {run.duration_ms} ms."
            )
        )
