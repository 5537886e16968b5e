from __future__ import annotations

import csv

from django.core.management import call_command

from regions.models import Desa, Kabupaten, Kecamatan
from regions.services import REGIONS_CSV

EXPECTED_DESA = {
    "33.19.01": 15, "33.19.02": 25, "33.19.03": 14, "33.19.04": 16, "33.19.05": 11,
    "33.19.06": 12, "33.19.07": 10, "33.19.08": 11, "33.19.09": 18,
}  # fmt: skip


def test_load_regions_loads_nine_kecamatan_and_every_desa(db, capsys):
    call_command("load_regions")
    assert "9 kecamatan, 123 desa + 9 kelurahan" in capsys.readouterr().out
    assert Kabupaten.objects.get().code == "33.19"
    assert Kecamatan.objects.count() == 9
    assert Desa.objects.count() == 132
    for code, count in EXPECTED_DESA.items():
        assert Desa.objects.filter(kecamatan_id=code).count() == count
    with REGIONS_CSV.open(encoding="utf-8") as handle:
        shipped = {row["code"]: row["name"] for row in csv.DictReader(handle) if row["level"] == "desa"}
    assert dict(Desa.objects.values_list("code", "name")) == shipped
    assert set(Desa.objects.filter(kind="kelurahan").values_list("kecamatan_id", flat=True)) == {"33.19.02"}


def test_load_regions_is_idempotent(db):
    call_command("load_regions")
    Desa.objects.filter(code="33.19.01.2001").update(name="Wrong")
    call_command("load_regions")
    assert Desa.objects.count() == 132
    assert Desa.objects.get(code="33.19.01.2001").name == "Bakalankrapyak"
