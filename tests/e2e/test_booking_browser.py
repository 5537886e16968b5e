"""A citizen books from /appointments/new/ in Chromium (Playwright) and reads the booking code."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from schedules.models import Appointment
from tests.factories import OutreachSessionFactory, citizen_aged
from tests.helpers import chromium


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_books_in_chromium_and_reads_the_code(live_server, regions_tx):
    day = timezone.localdate() + dt.timedelta(days=2)
    session = OutreachSessionFactory(date=day, title="Pelayanan Kecamatan Kaliwungu", services=["recording"])
    slot = session.slots.order_by("starts_at")[1]
    citizen = citizen_aged(17, on=day, days_after_birthday=60)
    requests_outside: list[str] = []

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 740}, locale="id-ID")  # a cheap phone
        page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith((live_server.url, "data:"))
                else requests_outside.append(request.url)
            ),
        )
        page.goto(f"{live_server.url}/appointments/new/")
        assert page.locator("html").get_attribute("lang") == "id"
        page.get_by_test_id("earliest-free").get_by_role("link").click()  # step 1: the session
        page.get_by_label(re.compile("NIK")).fill(citizen.nik)
        page.fill("input[name=birth_date]", citizen.birth_date.isoformat())
        page.select_option("select[name=service]", "recording")
        page.select_option("select[name=reason]", "new")
        page.get_by_text(f"{slot.local_start:%H:%M}–{slot.local_end:%H:%M}").click()  # a time button
        page.fill("input[name=phone]", "0812 3456 7890")
        page.get_by_role("button", name="Daftar").click()
        page.wait_for_url(re.compile(r"/appointments/[A-Z2-9]{8}/confirmation/"))
        code = page.get_by_test_id("booking-code").inner_text().strip()
        manage_link = page.get_by_test_id("manage-link").get_attribute("href")
        qr_is_inline = page.locator("figure.qr img").get_attribute("src").startswith("data:image/svg+xml")

    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", code)
    appointment = Appointment.objects.get(code=code)
    assert appointment.citizen == citizen and appointment.slot == slot and appointment.status == "active"
    assert appointment.phone == "081234567890"
    assert f"/appointments/{code}/?token=" in manage_link
    assert qr_is_inline
    assert requests_outside == []
