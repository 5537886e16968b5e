"""The targets page: desa and schools ranked by the gap of the chosen service (recording, printing,
IKD, first-time voters), the residents turning 16/17 by a date, plan links with the services needed
there, area exports."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.utils import timezone

from core.models import AuditEvent
from registrations.coverage import coverage_recompute
from registrations.nik import mask_nik
from tests.factories import CitizenFactory, citizen_aged, desa


@pytest.fixture
def population(regions):
    """As of today: Jati's first desa has two unrecorded first-time voters at one school, Kaliwungu's
    three unrecorded adults, Kota Kudus' one unrecorded 16-year-old."""
    today = timezone.localdate()
    jati = desa("33.19.03.2001")
    kaliwungu = desa("33.19.01.2001")
    for _ in range(2):
        CitizenFactory(
            full_name="Pemula Jati",
            desa=jati,
            area6="331903",
            birth_date=dt.date(2005, 3, 1),
            school="SMA 1 Jati",
        )
    for year in (1980, 1981, 1982):
        CitizenFactory(full_name="Dewasa Kaliwungu", desa=kaliwungu, birth_date=dt.date(year, 1, 1))
    citizen_aged(
        16, on=today, days_after_birthday=30, desa=desa("33.19.02.1001"), area6="331902", school="SMK 2"
    )
    coverage_recompute()
    return {"jati": jati, "kaliwungu": kaliwungu}


def rows_of(page: str, table_heading_id: str) -> list[str]:
    section = page.split(f'id="{table_heading_id}"', 1)[1].split("</section>", 1)[0].split("<tbody>", 1)[1]
    return re.findall(r"<tr[ >].*?</tr>", section, flags=re.S)


def plan_params(row: str) -> dict:
    link = re.search(r'href="(/dashboard/sessions/new/\?[^"]+)"', row).group(1).replace("&amp;", "&")
    return parse_qs(urlsplit(link).query)


def test_desa_are_ranked_by_the_chosen_measure_with_a_plan_link(client, supervisor, population):
    client.force_login(supervisor)
    page = client.get("/dashboard/targets/").content.decode()
    desa_rows = rows_of(page, "desa-heading")
    # Recording: 3 unrecorded adults in Kaliwungu beat Jati's 2, then Kota Kudus' 16-year-old.
    assert population["kaliwungu"].name in desa_rows[0]
    assert population["jati"].name in desa_rows[1]
    assert len(desa_rows) == 3
    assert plan_params(desa_rows[1]) == {
        "kind": ["other"],
        "venue": [f"Balai Desa {population['jati'].name}"],
        "kecamatan": ["33.19.03"],
        "services": ["ikd_activation,printing,recording"],
    }
    pemula = client.get("/dashboard/targets/", {"measure": "pemula"}).content.decode()
    desa_rows = rows_of(pemula, "desa-heading")
    assert population["jati"].name in desa_rows[0] and len(desa_rows) == 1  # the only first-time voters


def test_the_16_year_old_needs_recording_only(client, supervisor, population):
    client.force_login(supervisor)
    page = client.get("/dashboard/targets/", {"kecamatan": "33.19.02"}).content.decode()
    (row,) = rows_of(page, "desa-heading")
    assert plan_params(row)["services"] == ["recording"]  # not wajib: no printing, no IKD gap
    (school,) = rows_of(page, "schools-heading")
    assert "SMK 2" in school and plan_params(school)["services"] == ["recording"]


def test_residents_turning_16_and_17_by_the_chosen_date_are_counted(client, supervisor, population):
    today = timezone.localdate()
    kaliwungu = population["kaliwungu"]
    citizen_aged(16, on=today, days_after_birthday=-10, desa=kaliwungu)  # turns 16 in 10 days
    citizen_aged(17, on=today, days_after_birthday=-40, desa=kaliwungu)  # turns 17 in 40 days
    client.force_login(supervisor)

    def turning(until: dt.date) -> list[str]:
        page = client.get("/dashboard/targets/", {"kecamatan": "33.19.01", "until": until.isoformat()})
        (row,) = rows_of(page.content.decode(), "desa-heading")
        return re.findall(r"<td>(\d+)</td>", row)[-2:]

    assert turning(today + dt.timedelta(days=9)) == ["0", "0"]
    assert turning(today + dt.timedelta(days=10)) == ["1", "0"]
    assert turning(today + dt.timedelta(days=40)) == ["1", "1"]


def test_schools_carry_a_plan_link_to_the_kecamatan_where_their_students_live(client, supervisor, population):
    client.force_login(supervisor)
    page = client.get("/dashboard/targets/").content.decode()
    school_rows = rows_of(page, "schools-heading")
    assert "SMA 1 Jati" in school_rows[0] and "SMK 2" in school_rows[1]
    assert plan_params(school_rows[0]) == {
        "kind": ["school"],
        "venue": ["SMA 1 Jati"],
        "kecamatan": ["33.19.03"],
        "services": ["ikd_activation,printing,recording"],
    }


def test_an_operator_sees_only_targets_of_own_kecamatan(client, jati_operator, population):
    client.force_login(jati_operator)  # Jati
    page = client.get("/dashboard/targets/").content.decode()
    assert population["jati"].name in page
    assert population["kaliwungu"].name not in page and "SMK 2" not in page
    assert (
        client.get("/dashboard/targets/", {"kecamatan": "33.19.01"}).status_code == 200
    )  # not a choice: ignored
    assert (
        population["kaliwungu"].name
        not in client.get("/dashboard/targets/", {"kecamatan": "33.19.01"}).content.decode()
    )


def test_the_unrecorded_residents_of_a_desa_download_as_xlsx_masked_for_operators(
    client, jati_operator, population
):
    client.force_login(jati_operator)
    response = client.get("/dashboard/targets/export/", {"area": population["jati"].code, "format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    assert all(re.fullmatch(r"3319\*{8}\d{4}", row[0]) for row in rows[1:])
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.EXPORT)
    assert (
        event.actor == jati_operator
        and event.target == f"unrecorded residents: area={population['jati'].code}"
    )


def test_an_area_outside_the_operators_kecamatan_is_a_404(client, jati_operator, population):
    client.force_login(jati_operator)
    assert client.get("/dashboard/targets/export/", {"area": "33.19.01", "format": "csv"}).status_code == 404
    assert client.get("/dashboard/targets/export/", {"area": "33.19", "format": "csv"}).status_code == 404
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT).exists()


def test_supervisors_download_the_whole_kabupaten_as_csv_with_full_niks(client, supervisor, population):
    client.force_login(supervisor)
    response = client.get("/dashboard/targets/export/", {"area": "33.19", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 6
    assert "*" not in text and mask_nik("3319010101800001") not in text


def test_viewers_see_targets_but_cannot_download(client, viewer, population):
    client.force_login(viewer)
    page = client.get("/dashboard/targets/").content.decode()
    assert "SMA 1 Jati" in page and "/dashboard/targets/export/" not in page
    assert client.get("/dashboard/targets/export/", {"area": "33.19"}).status_code == 403


def test_before_the_first_recompute_targets_say_so(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/dashboard/targets/")
    assert response.status_code == 200 and "/dashboard/sessions/new/" not in response.content.decode()


def test_the_plan_link_prefills_the_session_form_with_the_services_needed(client, supervisor, population):
    client.force_login(supervisor)
    page = client.get("/dashboard/sessions/new/", {"kind": "school", "services": "recording,bogus"}).content
    checked = re.findall(rb'<input type="checkbox" name="services" value="(\w+)"[^>]*checked', page)
    assert checked == [b"recording"]
    page = client.get("/dashboard/sessions/new/").content
    checked = re.findall(rb'<input type="checkbox" name="services" value="(\w+)"[^>]*checked', page)
    assert checked == [b"recording", b"printing", b"ikd_activation"]


def test_schools_are_ranked_from_the_run_each_kecamatan_seeing_its_own_students(
    client, supervisor, jati_operator, population
):
    """A school's gaps are counted by the coverage run per kecamatan of residence: staff of Jati see
    the share of their residents, the kabupaten sees the sum; a student registered after the run
    waits for the next run, like the desa figures."""
    kaliwungu = population["kaliwungu"]
    CitizenFactory(desa=kaliwungu, birth_date=dt.date(2005, 5, 1), school="SMA 1 Jati")
    coverage_recompute()
    CitizenFactory(desa=kaliwungu, birth_date=dt.date(2005, 6, 1), school="SMA 1 Jati")  # after the run

    def school_row(user, **params) -> str:
        client.force_login(user)
        page = client.get("/dashboard/targets/", params).content.decode()
        (row,) = [r for r in rows_of(page, "schools-heading") if "SMA 1 Jati" in r]
        return row

    row = school_row(supervisor, measure="pemula")
    assert re.findall(r"<td>(\d+)</td>", row)[1:5] == ["3", "3", "3", "3"]  # recording, printing, IKD, pemula
    assert plan_params(row)["kecamatan"] == ["33.19.03"]  # where most of its students live
    row = school_row(jati_operator, measure="pemula")
    assert re.findall(r"<td>(\d+)</td>", row)[1:5] == ["2", "2", "2", "2"]
    coverage_recompute()
    row = school_row(supervisor, measure="pemula")
    assert re.findall(r"<td>(\d+)</td>", row)[1:5] == ["4", "4", "4", "4"]


def test_students_turning_16_and_17_are_counted_per_school_and_not_before_the_reference_date(
    client, supervisor, population
):
    today = timezone.localdate()
    citizen_aged(16, on=today, days_after_birthday=-5, desa=population["jati"], school="SMA 1 Jati")
    citizen_aged(17, on=today, days_after_birthday=-5, desa=population["jati"], school="SMA 1 Jati")
    client.force_login(supervisor)

    def school_turning(until: dt.date) -> list[str]:
        page = client.get("/dashboard/targets/", {"until": until.isoformat()}).content.decode()
        (row,) = [r for r in rows_of(page, "schools-heading") if "SMA 1 Jati" in r]
        return re.findall(r"<td>(\d+)</td>", row)[-2:]

    assert school_turning(today + dt.timedelta(days=4)) == ["0", "0"]
    assert school_turning(today + dt.timedelta(days=5)) == ["1", "1"]
    assert school_turning(today - dt.timedelta(days=400)) == ["0", "0"]  # a past date: nobody turns


def test_a_filter_left_out_shows_its_default(client, supervisor, population):
    client.force_login(supervisor)
    page = client.get("/dashboard/targets/", {"measure": "ikd"}).content.decode()
    assert re.search(r'<option value="20" selected>', page)
    assert len(rows_of(page, "desa-heading")) <= 20
