"""A supervisor in Chromium (Playwright): logs in, reads the overview figure, sees it move after a
recording completes and the coverage is recomputed, exports the citizens as XLSX; a hostile name
stays text everywhere; the daily report prints on one page. Saves a screenshot of the overview to
test-artifacts/overview.png."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import openpyxl
import pytest

from core.roles import staff_create
from registrations.coverage import coverage_recompute
from registrations.services.service_requests import (
    service_request_complete,
    service_request_create,
    service_request_start,
)
from tests.factories import CitizenFactory, desa

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "kudus-Test-2024!"
HOSTILE = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","klik")'
WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
RECORDED = dt.datetime(2020, 1, 6, 9, 0, tzinfo=WIB)


@pytest.fixture
def population(regions_tx):
    """Five wajib KTP adults in Kaliwungu, three recorded (60%); the two others carry a script tag
    and a spreadsheet formula as their names, and the script tag as their school."""
    kaliwungu = desa("33.19.01.2001")
    for year in (1980, 1981, 1982):
        CitizenFactory(
            full_name=f"Warga {year}", desa=kaliwungu, birth_date=dt.date(year, 1, 1), recorded_at=RECORDED
        )
    hostile = CitizenFactory(
        full_name=HOSTILE, desa=kaliwungu, birth_date=dt.date(2005, 3, 1), school=HOSTILE
    )
    formula = CitizenFactory(full_name=FORMULA, desa=kaliwungu, birth_date=dt.date(1990, 1, 1))
    coverage_recompute()
    staff_create(username="supervisor", role="supervisor", password=PASSWORD)
    return {"hostile": hostile, "formula": formula}


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next=/dashboard/")
    page.fill("#id_username", "supervisor")
    page.fill("#id_password", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(f"{base_url}/dashboard/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_supervisor_watches_coverage_move_and_exports_xlsx(live_server, browser, population, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID", accept_downloads=True)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_server.url)

    figure = page.get_by_test_id("coverage-pct")
    assert figure.inner_text() == "60,00%"
    assert page.get_by_test_id("recorded").inner_text() == "3"
    page.wait_for_selector("html.charts-drawn")  # Chart.js loaded from our own static files and drew
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

    # A recording completes at the desk (services): the debounced refresh recomputes on commit.
    request = service_request_create(
        citizen=population["formula"], service="recording", reason="new", channel="office"
    )
    service_request_start(service_request=request, actor=None)
    service_request_complete(service_request=request, actor=None)
    page.reload()
    assert page.get_by_test_id("coverage-pct").inner_text() == "80,00%"
    assert page.get_by_test_id("recorded").inner_text() == "4"

    page.goto(f"{live_server.url}/dashboard/citizens/?kecamatan=33.19.01")
    assert page.get_by_role("link", name=HOSTILE).count() == 1  # shown as text, in a link to the record
    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 5
    names = {row[1] for row in rows[1:]}
    assert HOSTILE in names and "'" + FORMULA in names
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formula anywhere
    assert all(re.fullmatch(r"[0-9]{16}", row[0]) for row in rows[1:])  # supervisors export full NIKs

    page.goto(f"{live_server.url}/dashboard/targets/")
    assert page.get_by_role("rowheader", name=HOSTILE).count() == 1  # the school, as text
    assert page.locator("script", has_text="alert(1)").count() == 0
    page.goto(f"{live_server.url}/dashboard/")
    assert page.locator("script", has_text="alert(1)").count() == 0
    assert dialogs == []

    # The daily report prints on one A4 page.
    page.goto(f"{live_server.url}/dashboard/report/daily/")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    page.close()
