"""The printed queue ticket in Chromium (issue 14): one click at the desk opens the ticket and prints
it; in print media it is 58 mm wide (the @page of a thermal printer), holds the number, the services,
the session and the time, and its QR is read by a real decoder (zbar)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.utils import timezone

from core.roles import staff_create
from schedules.models import QueueTicket
from tests.factories import OutreachSessionFactory, citizen_aged, stocked_location
from tests.helpers import chromium

PASSWORD = "Kudus-Booth-2024!"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", tempfile.gettempdir()))
MM = 96 / 25.4  # CSS pixels per millimetre
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Counts the page's calls of window.print (a headless browser has no printer dialog to look at).
RECORD_PRINT = "window.__printed = 0; window.print = () => { window.__printed += 1; };"


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def zbar_decode(png: bytes) -> list[str]:
    """What Debian's zbarimg reads in a PNG image (installed by scripts/testenv.py)."""
    with tempfile.NamedTemporaryFile(suffix=".png") as image:
        image.write(png)
        image.flush()
        found = subprocess.run(
            ["zbarimg", "--quiet", "--raw", image.name],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    return found.stdout.split()


def test_the_desk_prints_a_58_mm_ticket_in_one_click(live_server, regions_tx, fast_passwords):
    staff_create(username="booth", role="field", kecamatan_codes=["33.19.01"], password=PASSWORD)
    session = OutreachSessionFactory(
        date=timezone.localdate(), kind="cfd", title="CFD Simpang Tujuh", kecamatan="33.19.01",
        start_time=dt.time(0, 0), end_time=dt.time(23, 45), desks=2,
        stock_location=stocked_location(5, code="MOBIL-T", kind="mobile_unit"),
    )  # fmt: skip
    voter = citizen_aged(17, on=timezone.localdate(), days_after_birthday=5, full_name="Pemilih Pemula")
    problems: list[str] = []

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
        context.add_init_script(RECORD_PRINT)
        page = context.new_page()
        page.set_default_timeout(10_000)
        context.on("page", lambda p: p.on("pageerror", lambda error: problems.append(str(error))))
        page.on("pageerror", lambda error: problems.append(str(error)))
        check_in = f"/dashboard/sessions/{session.pk}/check-in/"
        page.goto(f"{live_server.url}/accounts/login/?next={check_in}")
        page.fill("input[name=username]", "booth")
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}{check_in}")
        page.click("#walkin-title")
        page.fill("#id_walkin-nik", voter.nik)
        page.fill("#id_walkin-birth_date", voter.birth_date.isoformat())
        page.click("form[action$='/walk-in/'] button[type=submit]")
        page.get_by_test_id("print-issued").wait_for()

        with context.expect_page() as opened:
            page.get_by_test_id("print-issued").click()  # the one action
        ticket_page = opened.value
        ticket_page.wait_for_load_state("load")
        deadline = time.monotonic() + 5
        while ticket_page.evaluate("window.__printed") < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        printed = ticket_page.evaluate("window.__printed")

        ticket_page.emulate_media(media="print")
        box = ticket_page.get_by_test_id("ticket").bounding_box()
        actions_shown = ticket_page.locator(".ticket-actions").is_visible()
        text = ticket_page.get_by_test_id("ticket").inner_text()
        png = ticket_page.get_by_test_id("ticket").screenshot(path=str(SCREENSHOTS / "ticket-58mm.png"))
        pdf = ticket_page.pdf(prefer_css_page_size=True)
        context.close()

    ticket = QueueTicket.objects.get()
    assert printed == 1
    assert abs(box["width"] - 58 * MM) < 2, box  # 58 mm at 96 px per inch
    assert not actions_shown  # the buttons are not printed
    width_pt = float(re.search(rb"/MediaBox \[0 0 ([0-9.]+) ", pdf).group(1))
    assert abs(width_pt - 58 * 72 / 25.4) < 1.5, width_pt  # the printed page: 58 mm wide
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1  # and the ticket fits on one
    assert box["height"] < 160 * MM, box
    assert "001" in text and "Perekaman" in text and "Pencetakan" in text and "Aktivasi IKD" in text
    assert "CFD Simpang Tujuh" in text
    assert timezone.localtime(ticket.issued_at).strftime("%H:%M") in text
    assert voter.full_name not in text and voter.nik not in text
    assert zbar_decode(png) == [f"S{session.pk}-001"]
    assert problems == []
