"""A family booked in one submission, and the waiting list's offer, on a 390 px phone in Chromium
(no script needed: "add a family member" and the offer's buttons are plain form submits)."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.utils import timezone

from schedules.models import Appointment, WaitlistEntry
from schedules.services import appointment_book, appointment_cancel, waitlist_sweep
from schedules.services.waiting_list import offer_path
from tests.factories import OutreachSessionFactory, citizen_aged

PHONE = {"width": 390, "height": 844}
KK = "3319010101207777"


def _shot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_parent_books_two_children_in_the_same_time_on_a_phone(live_server, regions_tx, browser, tmp_path):
    day = timezone.localdate() + dt.timedelta(days=2)
    session = OutreachSessionFactory(date=day, title="Pelayanan Kecamatan Kota", services=["recording"])
    slot = session.slots.order_by("starts_at")[2]
    parent = citizen_aged(40, on=day, days_after_birthday=10, kk=KK, marital_status="kawin")
    children = [citizen_aged(age, on=day, days_after_birthday=10, kk=KK) for age in (17, 16)]

    page = browser.new_page(viewport=PHONE, locale="id-ID")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/appointments/new/?session={session.pk}")
    page.fill("input[name=nik]", parent.nik)
    page.fill("input[name=kk]", KK)
    for child in children:
        page.get_by_test_id("add-member").click()
        page.wait_for_load_state()
        page.locator("[data-testid=family-member] input[name$='-nik']").last.fill(child.nik)
    assert page.get_by_test_id("family-member").count() == 2
    # What was typed before each "add" is still there.
    assert page.input_value("input[name=nik]") == parent.nik
    assert page.input_value("input[name=members-0-nik]") == children[0].nik
    label = f"{slot.local_start:%H:%M}–{slot.local_end:%H:%M}"
    page.get_by_text(label).click()
    assert _no_sideways_scroll(page)
    _shot(page, tmp_path, "390-family-form")
    page.get_by_role("button", name=re.compile("^(Daftar|Book)$")).click()
    page.wait_for_url(re.compile(r"/confirmation/"))
    booked = list(Appointment.objects.order_by("pk"))
    assert [a.citizen for a in booked] == [parent, *children]
    assert {a.slot_id for a in booked} == {slot.pk}
    listed = page.get_by_test_id("family-list")
    for member in booked[1:]:
        assert member.code in listed.inner_text()
    assert _no_sideways_scroll(page)
    _shot(page, tmp_path, "390-family-confirmation")
    # Each member's own link opens that member's booking.
    listed.get_by_role("link").first.click()
    page.wait_for_url(re.compile(booked[1].code))
    assert page.get_by_test_id("booking-code").inner_text() == booked[1].code
    assert errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_waiting_list_offer_is_booked_on_a_phone(live_server, regions_tx, browser, tmp_path, settings):
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    day = timezone.localdate() + dt.timedelta(days=2)
    session = OutreachSessionFactory(
        date=day, start_time=dt.time(8), end_time=dt.time(8, 15), slot_capacity=1, services=["recording"]
    )
    slot = session.slots.get()
    taken = appointment_book(slot=slot, citizen=citizen_aged(30, on=day), service="recording", reason="new")
    waiting = citizen_aged(20, on=day)

    page = browser.new_page(viewport=PHONE, locale="id-ID")
    page.goto(f"{live_server.url}/appointments/new/?session={session.pk}")
    page.get_by_test_id("waitlist-link").get_by_role("link").click()
    page.fill("input[name=nik]", waiting.nik)
    page.fill("input[name=kk]", waiting.kk)
    page.fill("input[name=phone]", "081200000055")
    page.locator("form.booking-form button[type=submit]").click()
    page.get_by_test_id("waitlist-joined").wait_for()
    assert _no_sideways_scroll(page)
    _shot(page, tmp_path, "390-waitlist-joined")
    entry = WaitlistEntry.objects.get(citizen=waiting)

    appointment_cancel(appointment=taken.appointment)
    waitlist_sweep(session_id=session.pk)
    entry.refresh_from_db()
    assert entry.status == "offered"
    page.goto(f"{live_server.url}{offer_path(entry)}")
    page.get_by_test_id("offer-open").wait_for()
    assert _no_sideways_scroll(page)
    _shot(page, tmp_path, "390-waitlist-offer")
    page.locator("button[value=accept]").click()
    page.wait_for_url(re.compile(r"/confirmation/"))
    entry.refresh_from_db()
    assert entry.status == "booked"
    assert page.get_by_test_id("booking-code").inner_text() == entry.appointment.code
