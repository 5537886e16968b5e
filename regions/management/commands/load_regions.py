from __future__ import annotations

from django.core.management.base import BaseCommand

from regions.services import regions_load


class Command(BaseCommand):
    help = (
        "Load the Kemendagri regions of Kabupaten Kudus (kabupaten, kecamatan, desa/kelurahan). Idempotent."
    )

    def handle(self, *args, **options):
        result = regions_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Regions: {result.kabupaten} kabupaten, {result.kecamatan} kecamatan, "
                f"{result.desa} desa + {result.kelurahan} kelurahan."
            )
        )
