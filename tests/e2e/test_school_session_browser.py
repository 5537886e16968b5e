"""The school visit planner in Chromium at 390 px, as an operator would use it: the list grouped by
birth year, then "Buat sesi sekolah" → the session's page, with a place for every student and
nobody booked (screenshots in test-artifacts/school-session-*.png, to be looked at)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.roles import staff_create
from schedules.models import OutreachSession
from tests.factories import CitizenFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "kudus-Test-2024!"
VISIT = dt.date(2027, 3, 10)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_operator_creates_the_school_session_from_the_list_on_a_phone(live_server, browser, regions_tx):
    for index in range(5):
        CitizenFactory(
            full_name=f"Kelas Dua Belas {index}", birth_date=dt.date(2009, 4, 1 + index), school="SMA 3 Kudus"
        )
    for index in range(7):
        CitizenFactory(
            full_name=f"Kelas Sebelas {index}", birth_date=dt.date(2010, 5, 1 + index), school="SMA 3 Kudus"
        )
    staff_create(username="operator", role="operator", kecamatan_codes=["33.19.01"], password=PASSWORD)
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="id-ID")
    page.goto(f"{live_server.url}/accounts/login/?next=/dashboard/schools/visit/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url("**/dashboard/schools/visit/")
    page.fill("#id_school", "SMA 3 Kudus")
    page.fill("#id_date", VISIT.isoformat())
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_selector('[data-testid="visit-heading"]')
    groups = page.locator('[data-testid="year-group"]')
    assert [groups.nth(i).get_attribute("data-year") for i in range(groups.count())] == ["2009", "2010"]
    assert "Lahir tahun 2009: 5 siswa" in groups.nth(0).inner_text()
    assert "Lahir tahun 2010: 7 siswa" in groups.nth(1).inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "school-session-list-390.png"), full_page=True)
    reserve = page.get_by_test_id("reserve-session")
    assert "12 siswa" in reserve.inner_text()
    reserve.get_by_role("button", name="Buat sesi sekolah").click()
    page.wait_for_url("**/dashboard/sessions/*/")
    assert "Sesi sekolah dibuat, belum dipublikasikan: 16 tempat untuk 12 siswa." in page.content()
    page.screenshot(path=str(ARTIFACTS / "school-session-created-390.png"), full_page=True)
    session = OutreachSession.objects.get(kind="school", date=VISIT)
    assert session.venue_name == "SMA 3 Kudus" and not session.published
    assert sum(slot.capacity - slot.booked for slot in session.slots.all()) == 16
