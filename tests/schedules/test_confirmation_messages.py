"""At booking: a confirmation by SMS and e-mail (whichever was given) with the code, time, place,
what to bring and a signed manage link; reminders carry the link; the HTTP SMS gateway backend
against a fake gateway on loopback."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail, signing
from django.utils import timezone

from core.models import OutboxMessage
from schedules.manage_links import MANAGE_LINK_SALT, manage_link_value
from schedules.messaging import HTTPGatewaySMSBackend, LocmemSMSBackend, SMSGatewayError
from schedules.models import Appointment, ScheduleEvent
from schedules.services import appointment_book, appointment_confirm, appointment_remind
from tests.factories import OutreachSessionFactory, citizen_aged

LINK_RE = re.compile(r"http://testserver-public(/appointments/[A-Z2-9]{8}/\?token=\S+)")


@pytest.fixture
def day():
    return timezone.localdate() + dt.timedelta(days=3)


@pytest.fixture
def session(regions, day):
    return OutreachSessionFactory(
        date=day,
        title="Car Free Day Simpang Tujuh",
        venue_name="Alun-alun Simpang Tujuh Kudus",
        services=["recording"],
        latitude="-6.804800",
        longitude="110.840500",
    )


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_BASE_URL = "http://testserver-public"


def _book_on_the_page(client, session, citizen, **contacts):
    slot = session.slots.order_by("starts_at")[1]
    page = client.get(f"/appointments/new/?session={session.pk}").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {
        "nik": citizen.nik,
        "kk": citizen.kk,
        "service": "recording",
        "reason": "new",
        "slot": slot.pk,
        "form_token": token,
        "phone": "",
        "email": "",
        **contacts,
    }
    return client.post("/appointments/new/", data)


def test_booking_sends_one_confirmation_by_sms_and_mail_with_a_working_manage_link(
    client, session, day, django_capture_on_commit_callbacks
):
    citizen = citizen_aged(20, on=day)
    with django_capture_on_commit_callbacks(execute=True):
        response = _book_on_the_page(
            client, session, citizen, phone="0812-3456-7890", email="warga@example.id"
        )
    assert response.status_code == 303
    appointment = Appointment.objects.get()

    assert [sms["to"] for sms in LocmemSMSBackend.outbox] == ["081234567890"]
    text = LocmemSMSBackend.outbox[0]["text"]
    assert appointment.code in text and "Alun-alun Simpang Tujuh Kudus" in text
    assert f"{appointment.slot.local_start:%H:%M} WIB" in text
    assert "Bawa: Kode pendaftaran ini (di layar atau dicetak). Fotokopi Kartu Keluarga (KK)." in text
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["warga@example.id"]
    body = mail.outbox[0].body
    assert appointment.code in mail.outbox[0].subject and "Yang perlu dibawa" in body
    assert "https://www.openstreetmap.org/directions?to=-6.8048,110.8405" in body
    sms_link, mail_link = LINK_RE.search(text).group(1), LINK_RE.search(body).group(1)
    assert sms_link == mail_link
    assert ScheduleEvent.objects.get(action="confirmed").note == "email, sms"

    manage = client.get(sms_link)  # the signed link opens the manage page
    assert manage.status_code == 200 and appointment.code in manage.content.decode()
    # ... and its forms work with it: cancel through the link.
    token = re.search(r'name="token" value="([^"]+)"', manage.content.decode()).group(1)
    assert (
        client.post(
            f"/appointments/{appointment.code}/cancel/", {"token": token, "confirm": "yes"}
        ).status_code
        == 303
    )
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"

    # Sent once: a second delivery of the task sends nothing.
    assert appointment_confirm(appointment_id=appointment.pk) is False
    assert len(mail.outbox) == 1 and len(LocmemSMSBackend.outbox) == 1


def test_the_booking_does_not_wait_for_or_fail_on_the_gateway(client, session, day, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/unreachable"
    settings.SMS_BACKEND = "schedules.messaging.HTTPGatewaySMSBackend"
    citizen = citizen_aged(20, on=day)
    # No on-commit callbacks run inside the test transaction: the message is only queued.
    response = _book_on_the_page(client, session, citizen, phone="081234567890")
    assert response.status_code == 303 and Appointment.objects.count() == 1
    queued = OutboxMessage.objects.get(task="schedules.tasks.appointment_send_confirmation")
    assert queued.kwargs == {"appointment_id": Appointment.objects.get().pk}
    assert "0812" not in json.dumps(queued.kwargs)


def test_the_signed_link_expires_with_the_slot_and_is_bound_to_its_booking(client, session, day):
    first = appointment_book(
        slot=session.slots.order_by("starts_at")[0],
        citizen=citizen_aged(20, on=day),
        service="recording",
        reason="new",
    ).appointment
    other = appointment_book(
        slot=session.slots.order_by("starts_at")[1],
        citizen=citizen_aged(30, on=day),
        service="recording",
        reason="new",
    ).appointment
    value = manage_link_value(first)
    assert client.get(f"/appointments/{first.code}/", {"token": value}).status_code == 200
    assert client.get(f"/appointments/{other.code}/", {"token": value}).status_code == 404
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert client.get(f"/appointments/{first.code}/", {"token": tampered}).status_code == 404
    forged = signing.dumps([first.pk, first.code], salt="another-salt")
    assert client.get(f"/appointments/{first.code}/", {"token": forged}).status_code == 404
    assert signing.loads(value, salt=MANAGE_LINK_SALT) == [first.pk, first.code]
    # After the slot's end the link no longer opens the page.
    first.slot.__class__.objects.filter(pk=first.slot_id).update(
        starts_at=timezone.now() - dt.timedelta(hours=2), ends_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert client.get(f"/appointments/{first.code}/", {"token": value}).status_code == 404


def test_the_reminder_carries_the_manage_link(session, day):
    result = appointment_book(
        slot=session.slots.order_by("starts_at")[0],
        citizen=citizen_aged(20, on=day),
        service="recording",
        reason="new",
        phone="081234567890",
        email="warga@example.id",
    )
    evening_before = dt.datetime.combine(
        day - dt.timedelta(days=1), dt.time(18), tzinfo=timezone.get_current_timezone()
    )
    assert appointment_remind(appointment_id=result.appointment.pk, now=evening_before) is True
    assert LINK_RE.search(LocmemSMSBackend.outbox[-1]["text"])
    assert LINK_RE.search(mail.outbox[-1].body)
    assert result.manage_token not in LocmemSMSBackend.outbox[-1]["text"] + mail.outbox[-1].body


class _FakeGateway(BaseHTTPRequestHandler):
    received: list[dict] = []
    status = 200

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _FakeGateway.received.append(
            {
                "auth": self.headers["Authorization"],
                "type": self.headers["Content-Type"],
                "body": json.loads(self.rfile.read(length)),
            }
        )
        self.send_response(_FakeGateway.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):  # keep the numbers out of the test output
        pass


@pytest.fixture
def fake_gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), _FakeGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeGateway.received, _FakeGateway.status = [], 200
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/v1/messages"
    settings.SMS_GATEWAY_KEY = "test-key-123"
    yield _FakeGateway
    server.shutdown()
    server.server_close()


def test_the_http_gateway_posts_json_with_the_key_from_settings(fake_gateway):
    HTTPGatewaySMSBackend().send(to="081234567890", text="Kode ABCD2345")
    assert fake_gateway.received == [
        {
            "auth": "Bearer test-key-123",
            "type": "application/json",
            "body": {"to": "081234567890", "text": "Kode ABCD2345"},
        }
    ]


def test_a_gateway_refusal_raises_a_retryable_error_without_personal_data(fake_gateway):
    fake_gateway.status = 503
    with pytest.raises(SMSGatewayError) as refused:
        HTTPGatewaySMSBackend().send(to="081234567890", text="Kode ABCD2345")
    assert isinstance(refused.value, OSError)  # the task's autoretry_for covers it
    assert "503" in str(refused.value) and "0812" not in str(refused.value)


def test_the_confirmation_goes_through_the_gateway_backend(
    client, session, day, settings, fake_gateway, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "schedules.messaging.HTTPGatewaySMSBackend"
    with django_capture_on_commit_callbacks(execute=True):
        _book_on_the_page(client, session, citizen_aged(20, on=day), phone="081234567890")
    code = Appointment.objects.get().code
    assert len(fake_gateway.received) == 1
    assert fake_gateway.received[0]["body"]["to"] == "081234567890"
    assert code in fake_gateway.received[0]["body"]["text"]
