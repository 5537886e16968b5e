from __future__ import annotations

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from blanks.demo import blanks_demo_seed
from regions.services import regions_load
from registrations.coverage import coverage_recompute
from registrations.services.demo import FULL_SCALE, demo_population_generate, demo_staff_ensure
from schedules.demo import schedules_demo_seed


class Command(BaseCommand):
    help = (
        "Create a reproducible synthetic population of Kudus (default 870,000 residents with the news "
        "figures of 4 Feb 2024 as of today), the demo staff login and the other apps' demo data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--citizens", type=int, default=FULL_SCALE, help="Residents to generate.")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed (same seed, same data).")
        parser.add_argument(
            "--i-know-this-is-production",
            action="store_true",
            dest="production_ok",
            help="Seed even in production mode (DJANGO_DEBUG off): synthetic residents and a staff "
            "login whose password is public.",
        )

    def handle(self, *args, citizens: int, seed: int, production_ok: bool = False, **options):
        if not settings.DEBUG and not production_ok:
            raise CommandError(
                "seed_demo adds synthetic residents and a demo login with a public password, and this "
                "is production mode (DJANGO_DEBUG is off). Use DJANGO_DEBUG=1 for a demo, or pass "
                "--i-know-this-is-production if this database really is a demo."
            )
        regions_load()
        bar = tqdm(total=citizens, unit=" citizens", disable=not sys.stderr.isatty(), desc="Generating")
        try:
            result = demo_population_generate(citizens=citizens, seed=seed, progress=bar.update)
        finally:
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Population: {result.citizens} residents; as of {result.reference_date}: "
                f"{result.wajib_ktp} wajib KTP, {result.recorded} recorded, {result.unrecorded} not yet."
            )
        )
        for line in self._seed_other_apps():
            self.stdout.write(line)
        username, password = demo_staff_ensure()
        self.stdout.write(self.style.SUCCESS(f"Demo staff login: {username} / {password}"))

    def _seed_other_apps(self) -> list[str]:
        """Each app's demo data, in dependency order (sessions need regions and their stock locations)."""
        lines = []
        lines.append(blanks_demo_seed())
        lines.append(schedules_demo_seed(today=timezone.localdate()))
        # A first coverage snapshot, so the dashboard and /api/v1/coverage/ have figures at once.
        run = coverage_recompute().run
        if run is not None:
            kabupaten = run.snapshots.get(area_code="33.19", cohort="all")
            lines.append(
                f"Coverage as of {run.reference_date}: {kabupaten.recorded:,} of {kabupaten.wajib_ktp:,} "
                f"recorded ({kabupaten.coverage_pct:.2f}%)."
            )
        return lines
