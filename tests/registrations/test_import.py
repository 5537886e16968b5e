from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from registrations.models import Citizen
from registrations.services.citizens_import import COLUMNS, citizens_import
from tests.helpers import needs_postgres

HEADER = ",".join(COLUMNS)


def row(**overrides) -> dict:
    base = {
        "nik": "3319011705000001", "kk": "3319011503180001", "full_name": "Moh. Ali", "sex": "L",
        "birth_place": "Kudus", "birth_date": "2000-05-17", "marital_status": "belum_kawin",
        "desa_code": "33.19.01.2001", "address": "RT 01 RW 02", "school": "", "phone": "081234567890",
        "email": "", "recorded_at": "2018-06-01T09:30:00+07:00", "printed_at": "", "ikd_activated_at": "",
    }  # fmt: skip
    return {**base, **overrides}


def csv_text(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write(tmp_path, rows, name="citizens.csv"):
    path = tmp_path / name
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


GOOD = [
    row(),
    row(nik="3319025705000002", full_name="Ma'ruf <b>Amin</b>", sex="P", desa_code="33.19.02.1001", phone=""),
    row(nik="3319092902040001", birth_date="2004-02-29", full_name="Siti Nur'aini", recorded_at=""),
]


def test_a_good_file_is_imported(regions, tmp_path, capsys):
    call_command("import_citizens", str(write(tmp_path, GOOD)))
    assert "3 created, 0 updated, 0 rejected" in capsys.readouterr().out
    ali = Citizen.objects.get(nik="3319011705000001")
    assert ali.full_name == "Moh. Ali"
    assert ali.recorded_at == dt.datetime(2018, 6, 1, 2, 30, tzinfo=dt.UTC)
    assert Citizen.objects.get(nik="3319025705000002").full_name == "Ma'ruf <b>Amin</b>"  # stored as given
    assert Citizen.objects.get(nik="3319092902040001").recorded_at is None


BAD_ROWS = [
    (row(nik="3319011705000000"), "0000"),
    (row(nik="3319011805000001"), "birth date"),
    (row(sex="P"), "sex"),
    (row(sex="X"), "sex must be L or P"),
    (row(birth_date="2000-02-30", nik="3319013002000001"), "birth_date"),
    (row(desa_code="33.19.01.9999"), "desa_code"),
    (row(full_name="Ali\x00"), "control characters"),
    (row(full_name="A" * 151), "longer than 150"),
    (row(marital_status="single"), "marital_status"),
    (row(email="not-an-email"), "valid email"),
    (row(recorded_at="yesterday"), "ISO 8601"),
    (row(recorded_at="", printed_at="2020-01-01T10:00:00+07:00"), "need recorded_at"),
    (row(kk="12"), "KK"),
    (row(birth_date="2999-01-01", nik="3319010101990001"), "future"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ROWS)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_written(regions, tmp_path, bad, reason):
    with translation.override("en"), pytest.raises(CommandError) as excinfo, io.StringIO() as err:
        try:
            call_command("import_citizens", str(write(tmp_path, [GOOD[1], bad])), stderr=err)
        finally:
            report = err.getvalue()
    assert "nothing was written" in str(excinfo.value)
    assert report.startswith("line 3:")
    assert reason.lower() in report.lower()
    assert Citizen.objects.count() == 0


def test_duplicate_nik_in_a_file_is_an_error(regions, tmp_path):
    with pytest.raises(CommandError):
        call_command("import_citizens", str(write(tmp_path, [row(), row(full_name="Other")])))
    assert Citizen.objects.count() == 0


def test_wrong_header_is_refused(regions, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("nik,name\n3319011705000001,Ali\n", encoding="utf-8")
    with translation.override("en"), pytest.raises(CommandError, match="Wrong header"):
        call_command("import_citizens", str(path))


def test_non_utf8_file_is_refused(regions, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (HEADER + "\n").encode() + csv_text([row(full_name="José")]).split("\n", 1)[1].encode("latin-1")
    )
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_citizens", str(path))
    assert Citizen.objects.count() == 0


def test_skip_invalid_writes_the_valid_rows_and_a_report(regions, tmp_path, capsys):
    path = write(tmp_path, [*GOOD, row(nik="3319011705000000")])
    call_command("import_citizens", str(path), "--skip-invalid")
    out = capsys.readouterr().out
    assert "3 created" in out and "1 rejected" in out
    report = list(csv.DictReader((tmp_path / "citizens.csv.rejects.csv").open(encoding="utf-8")))
    assert report == [{"line": "5", "nik": "3319********0000", "reason": report[0]["reason"]}]
    assert "0000" in report[0]["reason"]
    assert Citizen.objects.count() == 3


def test_import_upserts_by_nik_and_is_idempotent(regions, tmp_path, capsys):
    path = write(tmp_path, GOOD)
    call_command("import_citizens", str(path))
    call_command("import_citizens", str(path))
    assert "0 created, 3 updated" in capsys.readouterr().out
    changed = write(
        tmp_path, [row(full_name="Moh. Ali Updated", printed_at="2019-01-01T08:00:00+07:00")], "b.csv"
    )
    call_command("import_citizens", str(changed))
    assert Citizen.objects.count() == 3
    ali = Citizen.objects.get(nik="3319011705000001")
    assert ali.full_name == "Moh. Ali Updated"
    assert ali.printed_at is not None


@needs_postgres  # the COPY path is PostgreSQL's
def test_ten_thousand_rows_import_on_postgresql(regions, tmp_path):
    from registrations.nik import encode_nik

    unique = []
    for index in range(10_000):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=index)
        sex = "L" if index % 2 else "P"
        nik = encode_nik(area6="331903", birth_date=birth, sex=sex, serial=1)
        unique.append(row(nik=nik, birth_date=birth.isoformat(), sex=sex, full_name=f"Warga {index}"))
    result = citizens_import(io.StringIO(csv_text(unique)))
    assert result.errors == []
    assert result.created == len(unique) == Citizen.objects.count()
    again = citizens_import(io.StringIO(csv_text(unique)))
    assert (again.created, again.updated) == (0, len(unique))
