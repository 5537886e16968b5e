"""CSV/XLSX exports: streamed, formula-safe, masked, scoped, permission-checked and audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse

from core.exports import export_response, neutralize
from core.models import AuditEvent
from registrations.nik import mask_nik
from tests.factories import CitizenFactory, desa

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
RECORDED = dt.datetime(2023, 5, 6, 23, 30, tzinfo=dt.UTC)  # 7 May 06:30 in Kudus
HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "plain"]


def body(response) -> bytes:
    if isinstance(response, StreamingHttpResponse | FileResponse):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def xlsx_rows(response) -> list[tuple]:
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


def test_neutralize_prefixes_every_formula_trigger_with_a_quote():
    assert [neutralize(v) for v in HOSTILE] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTAB",
        "plain",
    ]


def test_csv_is_streamed_and_formula_cells_stay_text():
    consumed = []

    def rows():
        for index, value in enumerate(HOSTILE):
            consumed.append(index)
            yield (value, -5, dt.date(2024, 2, 2), None)

    response = export_response(rows(), ["name", "n", "day", "empty"], "test", "csv")
    assert isinstance(response, StreamingHttpResponse) and consumed == []  # nothing read before sending
    assert response["Content-Disposition"] == 'attachment; filename="test.csv"'
    assert response["Cache-Control"] == "no-store"
    parsed = csv_rows(response)
    assert parsed[0] == ["name", "n", "day", "empty"]
    assert [row[0] for row in parsed[1:]] == [neutralize(v) for v in HOSTILE]
    assert parsed[1][1:] == ["-5", "2024-02-02", ""]  # numbers are numbers, not text to neutralize


def test_xlsx_is_a_write_only_workbook_streamed_from_a_temporary_file():
    rows = [(value, 3, RECORDED, dt.date(2024, 2, 2)) for value in HOSTILE] + [("\x07=1+1", 0, None, None)]
    response = export_response(iter(rows), ["name", "n", "at", "day"], "test", "xlsx")
    assert isinstance(response, FileResponse)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    parsed = xlsx_rows(response)
    assert parsed[0] == ("name", "n", "at", "day")
    assert [row[0] for row in parsed[1:]] == [*(neutralize(v) for v in HOSTILE), "'=1+1"]
    # Times in Kudus wall-clock time (spreadsheets have no zones), numbers as numbers.
    assert parsed[1][1:] == (3, dt.datetime(2023, 5, 7, 6, 30), dt.datetime(2024, 2, 2, 0, 0))


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="format"):
        export_response([], ["a"], "x", "pdf")


@pytest.fixture
def citizens(regions):
    kaliwungu = desa("33.19.01.2001")
    jati = desa("33.19.03.2001")
    return {
        "recorded": CitizenFactory(full_name="Ani Recorded", desa=kaliwungu, recorded_at=RECORDED),
        "formula": CitizenFactory(full_name="=cmd|' /C calc'!A0", desa=kaliwungu),
        "jati": CitizenFactory(full_name="Budi Jati", desa=jati, area6="331903"),
    }


def test_a_supervisor_exports_the_filtered_citizens_as_xlsx_with_full_niks(client, supervisor, citizens):
    client.force_login(supervisor)
    response = client.get("/dashboard/citizens/export/", {"kecamatan": "33.19.01", "format": "xlsx"})
    assert response.status_code == 200
    rows = xlsx_rows(response)
    assert len(rows) == 3  # header + the two of Kaliwungu, by name
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["Ani Recorded"][0] == citizens["recorded"].nik
    assert by_name["Ani Recorded"][8] == dt.datetime(2023, 5, 7, 0, 0)  # recorded on (local date)
    assert "'=cmd|' /C calc'!A0" in by_name
    assert "Budi Jati" not in by_name


def test_operators_export_only_their_kecamatan_with_masked_niks(client, jati_operator, citizens):
    client.force_login(jati_operator)  # Jati
    response = client.get("/dashboard/citizens/export/", {"format": "csv"})
    rows = csv_rows(response)
    assert [row[1] for row in rows[1:]] == ["Budi Jati"]
    assert rows[1][0] == mask_nik(citizens["jati"].nik)
    assert (
        citizens["jati"].nik
        not in body(client.get("/dashboard/citizens/export/", {"format": "csv"})).decode()
    )


def test_viewers_may_not_export_and_a_bad_format_is_a_400(client, viewer, supervisor, citizens):
    client.force_login(viewer)
    assert client.get("/dashboard/citizens/export/", {"format": "csv"}).status_code == 403
    client.force_login(supervisor)
    assert client.get("/dashboard/citizens/export/", {"format": "pdf"}).status_code == 400


def test_every_export_is_in_the_access_log_with_its_filters_and_no_whole_nik(client, supervisor, citizens):
    client.force_login(supervisor)
    nik = citizens["recorded"].nik
    body(client.get("/dashboard/citizens/export/", {"q": nik, "recorded": "true", "format": "csv"}))
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.EXPORT)
    assert event.actor == supervisor
    assert event.action == "dashboard export citizens (csv, full NIK)"
    assert event.target == f"citizens: q={mask_nik(nik)}&recorded=true"
    assert nik not in event.target


def test_the_export_link_on_the_citizens_page_keeps_the_filters(client, supervisor, viewer, citizens):
    client.force_login(supervisor)
    page = client.get("/dashboard/citizens/", {"kecamatan": "33.19.01", "page": "2"}).content.decode()
    assert 'href="/dashboard/citizens/export/?kecamatan=33.19.01&amp;format=xlsx"' in page
    client.force_login(viewer)
    assert "/dashboard/citizens/export/" not in client.get("/dashboard/citizens/").content.decode()


def test_the_citizens_export_reads_a_fixed_number_of_queries_whatever_the_rows(
    client, supervisor, regions, django_assert_max_num_queries
):
    CitizenFactory.create_batch(30)
    client.force_login(supervisor)
    client.get("/dashboard/")  # session and permission caches
    with django_assert_max_num_queries(8):
        rows = csv_rows(client.get("/dashboard/citizens/export/", {"format": "csv"}))
    assert len(rows) == 31
