"""The privacy notice (issue 13, the residents' rights): public, Indonesian first and English by the
language switch, the retention periods read from the settings the purgers use, the controller's and
the data-protection officer's contacts from settings, Articles 5–13; linked from every public form
and confirmation and from the messages."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from core.retention import retention_periods
from schedules.services import appointment_book
from schedules.services.notifications import appointment_message_send
from tests.caches import locmem_caches
from tests.factories import OutreachSessionFactory, citizen_aged

pytestmark = pytest.mark.django_db


def _item(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</(?:li|dd)>', html, re.S)
    assert match, f"no {testid} on the page"
    return match.group(1)


def test_the_notice_is_public_and_indonesian_first(client):
    response = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pemberitahuan Privasi" in html
    assert "Pasal 5" in html and "Pasal 13" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/privacy/"})
    english = client.get("/privacy/").content.decode()
    assert "Privacy notice" in english and "Article 7" in english and "Article 13" in english


def test_the_retention_periods_follow_the_settings(client, settings):
    settings.AUDIT_RETENTION_DAYS = 123
    settings.SCHEDULES_CONTACT_RETENTION_DAYS = 17
    settings.SCHEDULES_MANAGE_LINK_MAX_DAYS = 45
    html = client.get("/privacy/").content.decode()
    assert re.search(r"\b17 hari\b", _item(html, "retention-appointment_contacts"))
    assert re.search(r"\b123 hari\b", _item(html, "retention-audit_log"))
    assert re.search(r"\b123 hari\b", _item(html, "retention-login_records"))
    assert "45 hari" in html
    settings.SCHEDULES_CONTACT_RETENTION_DAYS = 1
    client.post("/i18n/setlang/", {"language": "en", "next": "/privacy/"})
    english = client.get("/privacy/").content.decode()
    assert re.search(r"\b1 day after", _item(english, "retention-appointment_contacts"))


def test_every_purger_that_runs_is_on_the_notice(client):
    periods = retention_periods()
    assert {"appointment_contacts", "audit_log", "login_records"} <= set(periods)
    html = client.get("/privacy/").content.decode()
    for name, days in periods.items():
        assert re.search(rf"\b{days}\b", _item(html, f"retention-{name}"))


def test_the_contacts_come_from_the_settings(client, settings):
    settings.PRIVACY_CONTROLLER_CONTACT = "Jl. Contoh 1, Kudus; kantor@example.test"
    settings.PRIVACY_DPO_CONTACT = "dpo@example.test, 0291-000000"
    html = client.get("/privacy/").content.decode()
    assert _item(html, "controller-contact").strip() == "Jl. Contoh 1, Kudus; kantor@example.test"
    assert _item(html, "dpo-contact").strip() == "dpo@example.test, 0291-000000"
    assert "Kabupaten Kudus" in html


@pytest.fixture
def booking(regions, settings):
    settings.CACHES = locmem_caches("privacy-tests")
    settings.SMS_BACKEND = "schedules.messaging.LocmemSMSBackend"
    cache.clear()
    day = timezone.localdate() + dt.timedelta(days=3)
    session = OutreachSessionFactory(date=day, services=["recording"])
    return appointment_book(
        slot=session.slots.order_by("starts_at")[0],
        citizen=citizen_aged(20, on=day),
        service="recording",
        reason="new",
        email="warga@example.test",
    )


def test_every_public_form_and_confirmation_links_the_notice(client, booking):
    appointment, token = booking.appointment, booking.manage_token
    pages = [
        f"/appointments/new/?session={appointment.slot.session_id}",
        "/appointments/find/",
        f"/appointments/{appointment.code}/confirmation/{token}/",
        f"/appointments/{appointment.code}/m/{token}/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        note = re.search(r'data-testid="privacy-note">.*?</p>', response.content.decode(), re.S)
        assert note and 'href="/privacy/"' in note.group(0), url
    confirm = client.post(f"/appointments/{appointment.code}/cancel/", {"token": token})
    assert 'data-testid="privacy-note"' in confirm.content.decode()
    # The footer of every page links it too.
    assert 'data-testid="footer-privacy"' in client.get("/").content.decode()


def test_the_messages_link_the_notice(booking, settings):
    settings.PUBLIC_BASE_URL = "https://layanan.example.test"
    mail.outbox = []
    appointment_message_send(booking.appointment, kind="confirmation")
    assert "https://layanan.example.test/privacy/" in mail.outbox[0].body


def test_every_message_to_a_resident_by_mail_links_the_notice():
    bodies = sorted((Path(__file__).resolve().parents[1] / "templates" / "emails").glob("*-body.txt"))
    to_residents = [body for body in bodies if body.name.startswith(("appointment-", "waitlist-"))]
    assert len(to_residents) >= 6
    missing = [
        body.name for body in to_residents if "{{ privacy_url }}" not in body.read_text(encoding="utf-8")
    ]
    assert missing == []
