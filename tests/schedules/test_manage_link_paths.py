"""Manage tokens out of query strings (issue 13): every link the portal makes carries the token as a
path segment (`/appointments/<code>/m/<token>/`), which the gunicorn access log and the application
logs mask; links of the older form (`?token=`) redirect to the new one."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone
from gunicorn.config import Config
from rest_framework.test import APIClient

from core.logmask import MaskPersonalDataFilter, mask_personal_data
from schedules.messaging import LocmemSMSBackend
from schedules.models import Appointment
from schedules.services import appointment_book
from schedules.services.notifications import appointment_message_send
from tests.factories import OutreachSessionFactory, citizen_aged

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
BOOK_URL = "/appointments/new/"


@pytest.fixture
def session(regions):
    day = timezone.localdate() + dt.timedelta(days=3)
    return OutreachSessionFactory(date=day, services=["recording"], slot_capacity=3)


def _book_by_form(client, session) -> tuple[str, str]:
    citizen = citizen_aged(20, on=session.date)
    slots = session.slots.order_by("starts_at")
    page = client.get(f"{BOOK_URL}?session={session.pk}").content.decode()
    form_token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    response = client.post(
        f"{BOOK_URL}?session={session.pk}",
        {"nik": citizen.nik, "kk": citizen.kk, "service": "recording", "reason": "new",
         "slot": str(slots[0].pk), "phone": "081234567890", "email": "warga@example.test",
         "form_token": form_token},
    )  # fmt: skip
    assert response.status_code == 303
    return response["Location"], Appointment.objects.get(citizen=citizen).code


def _links(html: str) -> list[str]:
    return re.findall(r'(?:href|action|src)="([^"]+)"', html)


def test_no_generated_link_carries_the_token_in_a_query_string(client, session, settings):
    settings.PUBLIC_BASE_URL = "https://layanan.example.test"
    location, code = _book_by_form(client, session)
    assert location.startswith(f"/appointments/{code}/confirmation/") and "?" not in location
    token = location.rstrip("/").rsplit("/", 1)[1]
    confirmation = client.get(location).content.decode()
    manage_url = f"/appointments/{code}/m/{token}/"
    assert manage_url in confirmation and f"{manage_url}calendar.ics" in confirmation
    manage = client.get(manage_url).content.decode()
    assert f"{manage_url}?session=" in manage  # the session picker's links
    pages = [
        confirmation,
        manage,
        client.post(f"/appointments/{code}/cancel/", {"token": token}).content.decode(),
    ]
    for html in pages:
        assert "token=" not in html
        assert not [link for link in _links(html) if "token=" in link]
    cancelled = client.post(f"/appointments/{code}/cancel/", {"token": token, "confirm": "yes"})
    assert cancelled["Location"] == f"{manage_url}?done=cancelled"

    # The messages: a signed link, in the path too.
    other = appointment_book(
        slot=session.slots.order_by("starts_at")[1], citizen=citizen_aged(30, on=session.date),
        service="recording", reason="new", phone="081298765432", email="lain@example.test",
    )  # fmt: skip
    mail.outbox, LocmemSMSBackend.outbox = [], []
    appointment_message_send(other.appointment, kind="confirmation")
    texts = [message.body for message in mail.outbox] + [sms["text"] for sms in LocmemSMSBackend.outbox]
    assert len(texts) == 2
    for text in texts:
        assert "token=" not in text
        link = re.search(
            rf"https://layanan\.example\.test(/appointments/{other.appointment.code}/m/[^/\s]+/)", text
        )
        assert link and client.get(link.group(1)).status_code == 200


def test_links_of_the_older_form_redirect_to_the_path(client, session):
    result = appointment_book(
        slot=session.slots.order_by("starts_at")[0], citizen=citizen_aged(20, on=session.date),
        service="recording", reason="new",
    )  # fmt: skip
    code, token = result.appointment.code, result.manage_token
    old = client.get(f"/appointments/{code}/", {"token": token, "session": session.pk})
    assert (
        old.status_code == 302 and old["Location"] == f"/appointments/{code}/m/{token}/?session={session.pk}"
    )
    assert client.get(old["Location"]).status_code == 200
    confirmation = client.get(f"/appointments/{code}/confirmation/", {"token": token})
    assert confirmation["Location"] == f"/appointments/{code}/confirmation/{token}/"
    calendar = client.get(f"/appointments/{code}/calendar.ics", {"token": token})
    assert calendar["Location"] == f"/appointments/{code}/m/{token}/calendar.ics"
    assert client.get(calendar["Location"])["Content-Type"].startswith("text/calendar")
    # Without a token, or with a wrong one, nothing.
    assert client.get(f"/appointments/{code}/").status_code == 404
    assert client.get(f"/appointments/{code}/m/wrong/").status_code == 404
    assert client.get(f"/appointments/{code}/m/wrong/calendar.ics").status_code == 404


def _gunicorn_logger(log_file: Path):
    """gunicorn's logger as gunicorn.conf.py configures it, writing its access log to `log_file`."""
    conf: dict = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), conf)  # noqa: S102
    cfg = Config()
    for name in ("access_log_format", "logger_class"):
        cfg.set(name, conf[name])
    cfg.set("accesslog", str(log_file))
    return cfg.logger_class(cfg)


def test_the_gunicorn_access_log_masks_the_token(tmp_path):
    log_file = tmp_path / "access.log"
    logger = _gunicorn_logger(log_file)
    secret = "Zq3xY_secret-token-value"
    for path in (f"/appointments/ABCD2345/m/{secret}/", f"/appointments/ABCD2345/m/{secret}/calendar.ics",
                 f"/appointments/ABCD2345/confirmation/{secret}/"):  # fmt: skip
        environ = {
            "REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.9",
        }  # fmt: skip
        response = SimpleNamespace(status="200 OK", headers=[], sent=512)
        logger.access(response, [], environ, dt.timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    lines = log_file.read_text().splitlines()
    assert len(lines) == 3
    assert all("/appointments/ABCD2345/" in line and "[token]" in line for line in lines)
    assert secret not in log_file.read_text()


def test_the_application_logs_mask_the_token():
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/appointments/ABCD2345/m/s3cr3t/",),
        None,
    )
    MaskPersonalDataFilter().filter(record)
    assert record.getMessage() == "Not Found: /appointments/ABCD2345/m/[token]/"
    assert (
        mask_personal_data("/appointments/X/confirmation/s3cr3t/?a=1")
        == "/appointments/X/confirmation/[token]/?a=1"
    )
    assert "s3cr3t" not in mask_personal_data("GET /appointments/X/?token=s3cr3t HTTP/1.1")


def test_the_api_takes_the_token_in_a_header(session):
    result = appointment_book(
        slot=session.slots.order_by("starts_at")[0], citizen=citizen_aged(20, on=session.date),
        service="recording", reason="new",
    )  # fmt: skip
    url = f"/api/v1/appointments/{result.appointment.code}/"
    api = APIClient()
    assert api.get(url, HTTP_X_MANAGE_TOKEN=result.manage_token).json()["code"] == result.appointment.code
    assert api.get(url, HTTP_X_MANAGE_TOKEN="wrong").status_code == 404
    assert api.get(url).status_code == 404
    assert api.get(url, {"token": result.manage_token}).status_code == 200  # older clients
