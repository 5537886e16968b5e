"""The slot picker on a 390 px phone in Chromium: day groups, a session, a time button (a radio
button drawn as a button: works by tap and by keyboard, no script), the booking; no sideways scroll."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from schedules.models import Appointment
from tests.factories import OutreachSessionFactory, citizen_aged

PHONE = {"width": 390, "height": 844}


def _shot(page, tmp_path: Path, name: str) -> None:
    # SCREENSHOT_DIR keeps the pictures for a person to look at; otherwise they go to tmp_path.
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_picks_a_session_and_a_time_button_on_a_phone(live_server, regions_tx, browser, tmp_path):
    day = timezone.localdate() + dt.timedelta(days=2)
    session = OutreachSessionFactory(
        date=day,
        title="Car Free Day Simpang Tujuh",
        venue_name="Alun-alun Simpang Tujuh Kudus",
        kecamatan="33.19.02",
        services=["recording"],
        latitude="-6.804800",
        longitude="110.840500",
    )
    OutreachSessionFactory(
        date=day + dt.timedelta(days=1), title="Pelayanan Kecamatan Jati", kecamatan="33.19.03"
    )
    slot = session.slots.order_by("starts_at")[3]
    citizen = citizen_aged(17, on=day, days_after_birthday=30)

    page = browser.new_page(viewport=PHONE, locale="id-ID")
    page.goto(f"{live_server.url}/")
    assert page.locator("h3.day-heading").count() == 2
    assert page.get_by_test_id("directions").first.get_attribute("href") == (
        "https://www.openstreetmap.org/directions?to=-6.8048,110.8405"
    )
    assert _no_sideways_scroll(page)
    _shot(page, tmp_path, "390-home")

    page.goto(f"{live_server.url}/appointments/new/")
    assert page.locator("select[name=slot]").count() == 0
    _shot(page, tmp_path, "390-book-choose-session")
    page.get_by_test_id("pick-session").filter(has_text="Car Free Day").get_by_role("link").click()
    page.wait_for_url(re.compile(rf"session={session.pk}"))
    buttons = page.locator("label.slot-button")
    assert buttons.count() == session.slots.count()
    label = f"{slot.local_start:%H:%M}–{slot.local_end:%H:%M}"
    # Keyboard: Tab into the group and move with the arrow keys, as with any radio group.
    page.locator("label.slot-button input").first.focus()
    page.keyboard.press("ArrowRight")
    assert page.locator("label.slot-button input").nth(1).is_checked()
    page.get_by_text(label).click()
    assert page.locator(f"input[name=slot][value='{slot.pk}']").is_checked()
    checked_colour = page.locator(f"label.slot-button:has(input[value='{slot.pk}'])").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert checked_colour != "rgb(255, 255, 255)"  # the chosen time looks chosen
    assert _no_sideways_scroll(page)
    page.get_by_label(re.compile("NIK")).fill(citizen.nik)
    page.fill("input[name=kk]", citizen.kk)
    _shot(page, tmp_path, "390-book-times")
    page.get_by_role("button", name="Daftar").click()
    page.wait_for_url(re.compile(r"/appointments/[A-Z2-9]{8}/confirmation/"))
    code = page.get_by_test_id("booking-code").inner_text().strip()
    assert Appointment.objects.get(code=code).slot == slot

    page.goto(page.get_by_test_id("manage-link").get_attribute("href"))
    assert page.locator("select[name=slot]").count() == 0
    assert page.locator("#move ~ form label.slot-button").count() == session.slots.count() - 1
    assert _no_sideways_scroll(page)
    _shot(page, tmp_path, "390-manage")
