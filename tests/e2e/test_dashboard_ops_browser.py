"""Staff work in Chromium (Playwright): an operator logs in through the form, sees only their
kecamatan, checks a booking in by its code (typed like a USB scanner does), starts and completes
the printing; a supervisor posts a receipt of blanks. Pages are Indonesian (the default)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from blanks.models import StockMovement
from core.roles import staff_create
from regions.models import Kecamatan
from schedules.services import appointment_book
from tests.factories import CitizenFactory, OutreachSessionFactory, desa, printable_citizen, stocked_location
from tests.helpers import chromium

PASSWORD = "Kudus-Browser-2024!"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def in_chromium(drive) -> list[str]:
    """Run `drive(page)` in a fresh headless Chromium page; returns the console errors and page errors
    seen (a CSP violation, e.g. htmx injecting a style, is one). Playwright runs an event loop in this
    thread, so the ORM is used only before and after this call."""
    problems: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="id-ID")
        page.set_default_timeout(10_000)
        page.on("console", lambda message: _console_error(message, problems))
        page.on("pageerror", lambda error: problems.append(str(error)))
        drive(page)
    return problems


def _console_error(message, problems: list[str]) -> None:
    # The portal has no favicon (the browser asks anyway): that 404 is not a page problem.
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        problems.append(f"{message.text} {message.location}")


@pytest.fixture
def fast_passwords(settings):
    # Logging in through the form (django-axes needs a real request) with a cheap hash for speed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def log_in(page, base_url: str, username: str, next_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base_url}{next_url}")


def test_an_operator_checks_in_a_booking_and_completes_its_printing(live_server, regions_tx, fast_passwords):
    staff_create(username="op-kaliwungu", role="operator", kecamatan_codes=["33.19.01"], password=PASSWORD)
    kaliwungu = Kecamatan.objects.get(pk="33.19.01")
    stocked_location(10, code="KEC-01", name="Kecamatan Kaliwungu", kecamatan=kaliwungu)
    citizen = printable_citizen(full_name="Warga Kaliwungu Cetak")
    CitizenFactory(full_name="Warga Jati Lain", desa=desa("33.19.03.2001"), area6="331903")
    session = OutreachSessionFactory(date=timezone.localdate(), title="Layanan Bakalan", desks=1)
    yesterday = timezone.make_aware(
        dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(9))
    )
    booking = appointment_book(
        slot=session.slots.order_by("starts_at")[0],
        citizen=citizen,
        service="printing",
        reason="new",
        now=yesterday,
    ).appointment
    seen: dict = {}

    def drive(page):
        log_in(page, live_server.url, "op-kaliwungu", "/dashboard/citizens/")
        seen["lang"] = page.locator("html").get_attribute("lang")
        seen["citizens"] = page.locator("main table").inner_text()

        page.goto(f"{live_server.url}/dashboard/sessions/{session.pk}/check-in/")
        seen["focus_on_load"] = page.evaluate("document.activeElement.name")
        page.keyboard.type(booking.code.lower())  # a USB scanner types the code and Enter
        page.keyboard.press("Enter")
        lookup = page.get_by_test_id("lookup")
        lookup.wait_for()
        seen["lookup"] = lookup.inner_text()
        seen["page"] = page.content()

        page.get_by_test_id("check-in").click()  # an htmx form: the page is swapped in place
        page.locator(".messages", has_text="001").wait_for()
        seen["focus_after_swap"] = page.evaluate("document.activeElement.name")
        page.select_option("form[action$='/start/'] select[name=location]", "KEC-01")
        page.click("form[action$='/start/'] button")
        page.locator("form[action$='/complete/']").wait_for()

        page.click("[data-testid=lookup] a[href^='/dashboard/requests/']")
        page.wait_for_url(re.compile(r"/dashboard/requests/[0-9]+/$"))
        page.click("form[action$='/complete/'] button")
        message = page.locator(".messages", has_text="10 → 9")
        message.wait_for()
        seen["message"] = message.inner_text()

    problems = in_chromium(drive)

    assert seen["lang"] == "id"
    assert "Warga Kaliwungu Cetak" in seen["citizens"] and "Warga Jati Lain" not in seen["citizens"]
    assert seen["focus_on_load"] == "code" and seen["focus_after_swap"] == "code"
    assert "Warga Kaliwungu Cetak" in seen["lookup"] and citizen.masked_nik in seen["lookup"]
    assert citizen.nik not in seen["page"]
    booking.refresh_from_db()
    request = booking.service_request
    assert booking.status == "checked_in"
    assert f"#{request.pk}" in seen["message"]
    assert request.status == "completed" and request.location.code == "KEC-01"
    assert StockMovement.objects.get(service_request=request).balance_after == 9
    assert problems == []


def test_a_supervisor_posts_a_receipt_of_blanks(live_server, regions_tx, fast_passwords):
    staff_create(username="supervisor", role="supervisor", password=PASSWORD)
    stocked_location(40, code="MAIN", name="Kantor Disdukcapil", kind="main_office")
    seen: dict = {}

    def drive(page):
        log_in(page, live_server.url, "supervisor", "/dashboard/stock/")
        page.click("a[href='/dashboard/stock/receive/']")
        page.select_option("select[name=location]", "MAIN")
        page.fill("input[name=quantity]", "2000")
        page.fill("input[name=reference]", "SJ-2024/02/001")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/dashboard/stock/locations/MAIN/")
        seen["balance"] = page.get_by_test_id("balance").inner_text()
        seen["message"] = page.locator(".messages").inner_text()

    problems = in_chromium(drive)

    assert seen["balance"] == "2040" and "40 → 2040" in seen["message"]
    assert StockMovement.objects.get(reference="SJ-2024/02/001").delta == 2000
    assert problems == []
