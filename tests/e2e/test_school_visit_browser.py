"""The school visit planner in Chromium: the attendance list printed on A4 (PDF → PNG in
test-artifacts/school-visit-print-*.png, to be looked at), with checkboxes and masked NIKs."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

from core.roles import staff_create
from tests.factories import CitizenFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "kudus-Test-2024!"
VISIT = dt.date(2027, 3, 10)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_attendance_list_prints_on_a4_with_masked_niks(live_server, browser, regions_tx):
    students = [
        CitizenFactory(full_name=f"Siswa {i:02d}", birth_date=dt.date(2010, 1, 1) + dt.timedelta(days=i * 20),
                       school="SMA 1 Kudus")
        for i in range(12)
    ]  # fmt: skip
    staff_create(username="operator", role="operator", kecamatan_codes=["33.19.01"], password=PASSWORD)
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="id-ID")
    page.goto(f"{live_server.url}/accounts/login/?next=/dashboard/schools/visit/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/dashboard/schools/visit/")
    page.fill("#id_school", "SMA 1 Kudus")
    page.fill("#id_date", VISIT.isoformat())
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_selector('[data-testid="visit-heading"]')
    rows = page.locator('[data-testid="student"]')
    # Born 2010-01-01 + 20 days each: 17 on the visit day up to 2010-03-10 (i <= 3), else 16
    # (all born by 2011-03-10).
    assert rows.count() == 12
    page.get_by_test_id("print-list").click()
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    text = page.locator('[data-testid="students"]').inner_text()
    assert all(s.full_name in text for s in students)
    assert not any(s.nik in text for s in students), "an operator's printed list shows full NIKs"
    assert text.count("☐") == 12 + 4 * 2 + 12  # recording for all, printing+IKD for the four 17s
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "school-visit.pdf").write_bytes(pdf)
    for old in ARTIFACTS.glob("school-visit-print-*.png"):
        old.unlink()
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            str(ARTIFACTS / "school-visit.pdf"),
            str(ARTIFACTS / "school-visit-print"),
        ],
        check=True,
    )
