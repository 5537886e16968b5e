from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from regions.models import Desa, Kabupaten, Kecamatan

REGIONS_CSV = Path(__file__).resolve().parent / "data" / "wilayah_kudus.csv"


@dataclass(frozen=True)
class RegionLoadResult:
    kabupaten: int
    kecamatan: int
    desa: int
    kelurahan: int


def _desa_kind(code: str) -> str:
    # Kemendagri numbers kelurahan 1xxx and desa 2xxx within a kecamatan.
    return Desa.Kind.KELURAHAN if code.rsplit(".", 1)[-1].startswith("1") else Desa.Kind.DESA


@transaction.atomic
def regions_load(*, path: Path = REGIONS_CSV) -> RegionLoadResult:
    """Create or update the kabupaten, kecamatan and desa of the shipped Kemendagri list. Idempotent."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_level: dict[str, list[dict]] = {"kabupaten": [], "kecamatan": [], "desa": []}
    for row in rows:
        by_level[row["level"]].append(row)

    for row in by_level["kabupaten"]:
        Kabupaten.objects.update_or_create(code=row["code"], defaults={"name": row["name"]})
    for row in by_level["kecamatan"]:
        Kecamatan.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "kabupaten_id": row["parent_code"]}
        )
    for row in by_level["desa"]:
        Desa.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "kecamatan_id": row["parent_code"],
                "kind": _desa_kind(row["code"]),
            },
        )
    return RegionLoadResult(
        kabupaten=Kabupaten.objects.count(),
        kecamatan=Kecamatan.objects.count(),
        desa=Desa.objects.filter(kind=Desa.Kind.DESA).count(),
        kelurahan=Desa.objects.filter(kind=Desa.Kind.KELURAHAN).count(),
    )
