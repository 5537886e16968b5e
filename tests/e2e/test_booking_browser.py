"""A citizen books from /appointments/new/ in Chromium (Playwright) and reads the booking code."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import tempfile

import pytest
import segno
from django.utils import timezone

from core.models import OutboxMessage
from schedules import services
from schedules.messaging import LocmemSMSBackend
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
        page.fill("input[name=kk]", citizen.kk)
        page.select_option("select[name=service]", "recording")
        page.select_option("select[name=reason]", "new")
        page.get_by_text(f"{slot.local_start:%H:%M}–{slot.local_end:%H:%M}").click()  # a time button
        page.fill("input[name=phone]", "0812 3456 7890")
        page.get_by_role("button", name="Daftar").click()
        page.wait_for_url(re.compile(r"/appointments/[A-Z2-9]{8}/confirmation/"))
        code = page.get_by_test_id("booking-code").inner_text().strip()
        manage_link = page.get_by_test_id("manage-link").get_attribute("href")
        qr_is_inline = page.locator("figure.qr img").get_attribute("src").startswith("data:image/svg+xml")
        qr_png = page.locator("figure.qr img").screenshot()  # the QR as the phone screen shows it

    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", code)
    appointment = Appointment.objects.get(code=code)
    assert appointment.citizen == citizen and appointment.slot == slot and appointment.status == "active"
    assert appointment.phone == "081234567890"
    assert f"/appointments/{code}/?token=" in manage_link
    assert qr_is_inline
    assert zbar_decode(qr_png) == [code]  # a real decoder reads the page's QR
    assert requests_outside == []


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


def test_zbar_does_not_read_the_micro_qr_the_confirmation_used_to_show():
    """Why the page's QR must be a regular one (and that the decoder check above can fail)."""
    code = "AB3D5F7H"
    micro, regular = io.BytesIO(), io.BytesIO()
    segno.make(code, error="m").save(micro, kind="png", scale=8)
    segno.make(code, error="m", micro=False).save(regular, kind="png", scale=8)
    assert segno.make(code, error="m").is_micro
    assert zbar_decode(micro.getvalue()) == []
    assert zbar_decode(regular.getvalue()) == [code]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_who_lost_the_link_gets_it_again_and_opens_the_booking(
    live_server, regions_tx, settings, tmp_path
):
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    settings.PUBLIC_BASE_URL = live_server.url
    LocmemSMSBackend.outbox.clear()
    day = timezone.localdate() + dt.timedelta(days=2)
    session = OutreachSessionFactory(date=day, services=["recording"])
    citizen = citizen_aged(17, on=day, days_after_birthday=60)
    booking = services.appointment_book(
        slot=session.slots.order_by("starts_at")[1], citizen=citizen, service="recording", reason="new",
        phone="081234567890",
    )  # fmt: skip

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 360, "height": 740}, locale="id-ID")
        page.goto(f"{live_server.url}/appointments/new/")
        page.get_by_role("link", name=re.compile("Cari pendaftaran saya")).click()
        page.wait_for_url(re.compile(r"/appointments/find/$"))
        page.fill("input[name=nik]", citizen.nik)
        page.fill("input[name=kk]", citizen.kk)
        page.get_by_role("button", name="Kirimkan tautannya").click()
        page.locator("#find-sent").wait_for()
        answer = page.locator("#find-sent").inner_text()
        page.screenshot(path=str(tmp_path / "find-sent.png"), full_page=True)
        # The outbox relays the task after the commit (eager Celery in tests): the SMS is out.
        (link,) = re.findall(r"https?://\S+", LocmemSMSBackend.outbox[0]["text"])
        page.goto(link)
        shown_code = page.get_by_test_id("booking-code").inner_text().strip()
        page.screenshot(path=str(tmp_path / "find-manage.png"), full_page=True)

    assert "tautannya sedang dikirim" in answer and booking.appointment.code not in answer
    assert shown_code == booking.appointment.code
    assert OutboxMessage.objects.get(task="schedules.tasks.appointment_send_manage_link").status == "sent"
