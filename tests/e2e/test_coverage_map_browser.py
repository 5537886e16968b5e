"""The coverage map in Chromium: the colours change with the measure, the tooltip shows the figure,
a click lands on the desa's drill-down page; screenshots at 1366 px and 390 px and the printed A4
version (PDF → PNG) are written to test-artifacts/ to be looked at."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import zoneinfo
from pathlib import Path

import pytest

from core.roles import staff_create
from registrations.coverage import coverage_recompute
from tests.factories import CitizenFactory, desa

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "kudus-Test-2024!"
WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
EARLIER = dt.datetime(2021, 3, 1, 9, 0, tzinfo=WIB)
UNRECORDED, RECORDED = "33.19.01.2001", "33.19.01.2002"


@pytest.fixture
def population(regions_tx):
    """Bakalankrapyak: 3 adults, none recorded. Prambatan Kidul: 3 recorded, none printed."""
    for year in (1970, 1971, 1972):
        CitizenFactory(desa=desa(UNRECORDED), birth_date=dt.date(year, 1, 1))
        CitizenFactory(desa=desa(RECORDED), birth_date=dt.date(year, 6, 1), recorded_at=EARLIER)
    coverage_recompute()
    staff_create(username="supervisor", role="supervisor", password=PASSWORD)


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next=/dashboard/map/")
    page.fill("#id_username", "supervisor")
    page.fill("#id_password", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_url(f"{base_url}/dashboard/map/")


INSIDE = """path => {
  const box = path.getBBox(), ctm = path.getScreenCTM(), svg = path.ownerSVGElement;
  for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
    const p = svg.createSVGPoint();
    p.x = box.x + box.width * i / 20; p.y = box.y + box.height * j / 20;
    const s = p.matrixTransform(ctm);
    if (document.elementFromPoint(s.x, s.y) === path) return [s.x, s.y];
  }
  return null;
}"""


def point_in(page, code: str) -> tuple[float, float]:
    """A point of the viewport where the desa's own shape (not a neighbour's) is on top."""
    page.locator(f'path[data-code="{code}"]').scroll_into_view_if_needed()
    point = page.locator(f'path[data-code="{code}"]').evaluate(INSIDE)
    assert point, code
    return point[0], point[1]


def fill_of(page, code: str) -> str:
    return page.locator(f'path[data-code="{code}"]').evaluate("el => getComputedStyle(el).fill")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_map_changes_colour_with_the_measure_and_a_click_lands_on_the_desa(
    live_server, browser, population
):
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="id-ID")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page, live_server.url)
    page.wait_for_selector("html.map-ready")

    assert page.locator('svg[data-testid="map"] a path').count() == 132
    red, green = fill_of(page, UNRECORDED), fill_of(page, RECORDED)
    assert red == "rgb(165, 0, 38)" and green == "rgb(26, 152, 80)"

    # The figure on hover: the JS tooltip (and the SVG title).
    page.mouse.move(*point_in(page, UNRECORDED))
    tip = page.locator(".map-tip")
    tip.wait_for(state="visible")
    assert tip.inner_text() == "Bakalankrapyak: 3 dari 3 belum terlayani (100,0%)"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-1366.png"), full_page=True)

    # Printing: the recorded desa has no printed card yet, so it turns red too.
    page.locator('a[data-measure="printing"]').click()
    page.wait_for_url("**measure=printing")
    assert fill_of(page, RECORDED) == "rgb(165, 0, 38)"
    assert page.locator('a[data-measure="printing"]').get_attribute("aria-current") == "true"

    # A click on a desa lands on its drill-down page, the residents behind the figure one more click.
    page.mouse.click(*point_in(page, UNRECORDED))
    page.wait_for_url(f"**/dashboard/areas/{UNRECORDED}/")
    assert "Bakalankrapyak" in page.get_by_test_id("area-name").inner_text()
    page.get_by_test_id("residents-recording").click()
    page.wait_for_url("**/dashboard/citizens/**")
    assert page.locator("td.mono").count() == 3
    assert errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_map_on_a_phone_and_printed_on_a4(live_server, browser, population):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID", is_mobile=True)
    phone = context.new_page()
    log_in(phone, live_server.url)
    phone.wait_for_selector("html.map-ready")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the map page scrolls sideways on a phone"
    svg_box = phone.locator('svg[data-testid="map"]').bounding_box()
    assert svg_box["width"] > 300
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "map-390.png"), full_page=True)

    page = context.new_page()
    page.goto(f"{live_server.url}/dashboard/map/?measure=recording&print=1")
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.locator(".measure-switch").is_hidden()
    pdf = page.pdf(format="A4", print_background=True)
    pdf_path = ARTIFACTS / "map-print.pdf"
    pdf_path.write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "the printed map is one A4 page"
    for old in ARTIFACTS.glob("map-print-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf_path), str(ARTIFACTS / "map-print")], check=True)
    assert len(list(ARTIFACTS.glob("map-print-*.png"))) == 1
