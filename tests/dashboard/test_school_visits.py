"""The school visit planner: who is old enough on the visit day (15/16/17, 29 February), the
services each needs, masked NIKs, scope, exports."""

from __future__ import annotations

import datetime as dt
import io
import re
import zoneinfo

import openpyxl
import pytest

from registrations.nik import mask_nik
from tests.factories import CitizenFactory, desa

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
VISIT = dt.date(2027, 3, 10)
SCHOOL = "SMA 1 Kudus"
EARLIER = dt.datetime(2026, 1, 5, 9, 0, tzinfo=WIB)


def student(name: str, born: dt.date, **fields):
    fields.setdefault("school", SCHOOL)
    return CitizenFactory(full_name=name, birth_date=born, **fields)


def listed(client, visit=VISIT, school=SCHOOL) -> dict[str, str]:
    """{name: services cells} of the attendance list."""
    page = client.get("/dashboard/schools/visit/", {"school": school, "date": visit.isoformat()})
    assert page.status_code == 200
    rows = re.findall(r'<tr data-testid="student">(.*?)</tr>', page.content.decode(), flags=re.S)
    found = {}
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        found[cells[2]] = "".join("x" if "☐" in c else "-" for c in cells[5:-1])
    return found


def test_age_boundaries_on_the_visit_day(as_user, operator):
    student("Lima Belas", dt.date(2011, 3, 11))  # turns 16 the day after the visit: 15
    student("Enam Belas", dt.date(2011, 3, 10))  # 16 on the visit day: recording only
    student("Tujuh Belas", dt.date(2010, 3, 10))  # 17 on the visit day: all three
    student("Hampir Tujuh Belas", dt.date(2010, 3, 11))  # 16 for one more day
    student("Menikah", dt.date(2012, 1, 1), marital_status="kawin")  # 15 but married: wajib
    found = listed(as_user(operator))
    assert "Lima Belas" not in found
    # Columns: recording, printing, IKD activation.
    assert found["Enam Belas"] == "x--"
    assert found["Hampir Tujuh Belas"] == "x--"
    assert found["Tujuh Belas"] == "xxx"
    assert found["Menikah"] == "xxx"


def test_born_on_29_february(as_user, operator):
    student("Kabisat", dt.date(2012, 2, 29))
    client = as_user(operator)
    # 2028 is a leap year: 16 on 29 February, not the day before.
    assert "Kabisat" not in listed(client, visit=dt.date(2028, 2, 28))
    assert listed(client, visit=dt.date(2028, 2, 29))["Kabisat"] == "x--"
    # In a common year the 17th birthday is 1 March.
    assert listed(client, visit=dt.date(2029, 2, 28))["Kabisat"] == "x--"
    assert listed(client, visit=dt.date(2029, 3, 1))["Kabisat"] == "xxx"


def test_served_students_drop_out_and_half_served_keep_what_is_left(as_user, operator):
    student("Selesai", dt.date(2005, 1, 1), recorded_at=EARLIER, printed_at=EARLIER, ikd_activated_at=EARLIER)
    student("Belum IKD", dt.date(2005, 1, 2), recorded_at=EARLIER, printed_at=EARLIER)
    student("Lain Sekolah", dt.date(2005, 1, 3), school="SMK 3")
    found = listed(as_user(operator), school="sma 1 kudus")  # the school matches case-insensitively
    assert set(found) == {"Belum IKD"} and found["Belum IKD"] == "--x"


def test_niks_are_masked_unless_the_role_may_see_them(as_user, operator, supervisor):
    c = student("Tujuh Belas", dt.date(2010, 3, 10))
    params = {"school": SCHOOL, "date": VISIT.isoformat()}
    page = as_user(operator).get("/dashboard/schools/visit/", params).content.decode()
    assert mask_nik(c.nik) in page and c.nik not in page
    page = as_user(supervisor).get("/dashboard/schools/visit/", params).content.decode()
    assert c.nik in page


def test_other_kecamatan_students_are_not_listed(as_user, jati_operator, operator):
    student("Warga Kaliwungu", dt.date(2010, 3, 10))
    student("Warga Jati", dt.date(2010, 3, 10), desa=desa("33.19.03.2001"), area6="331903")
    assert set(listed(as_user(jati_operator))) == {"Warga Jati"}
    assert set(listed(as_user(operator))) == {"Warga Kaliwungu"}


def test_the_list_downloads_as_xlsx_and_bad_input_is_a_clear_error(as_user, supervisor):
    student("Tujuh Belas", dt.date(2010, 3, 10))
    client = as_user(supervisor)
    response = client.get(
        "/dashboard/schools/visit/export/", {"school": SCHOOL, "date": VISIT.isoformat(), "format": "xlsx"}
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(
        openpyxl.load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True)
    )
    assert rows[1][1] == "Tujuh Belas" and rows[1][3] == 17
    assert client.get("/dashboard/schools/visit/export/", {"format": "csv"}).status_code == 400
    page = client.get("/dashboard/schools/visit/", {"school": SCHOOL, "date": "2027-02-30"})
    assert page.status_code == 200 and 'class="errorlist"' in page.content.decode()


@pytest.mark.parametrize("role", ["viewer"])
def test_viewers_do_not_see_the_students(as_user, viewer, role):
    student("Tujuh Belas", dt.date(2010, 3, 10))
    response = as_user(viewer).get("/dashboard/schools/visit/", {"school": SCHOOL, "date": VISIT.isoformat()})
    assert response.status_code == 403
