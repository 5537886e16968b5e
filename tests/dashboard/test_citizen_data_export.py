"""The data-access right (UU 27/2022 Art. 7): a supervisor or admin downloads everything held about
one resident as one JSON file from the citizen page; it is written to the access log; masked roles,
viewers and staff without a role cannot."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from core.audit import audit_record
from core.models import AuditEvent
from registrations.exceptions import IdentityMismatchError
from registrations.services.identity import citizen_identify_public
from registrations.services.service_requests import service_request_create
from schedules.services import appointment_book
from tests.factories import CitizenFactory, OutreachSessionFactory, citizen_aged

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "081234567890", "warga.export@example.test"


@pytest.fixture
def resident(regions, supervisor, settings):
    day = timezone.localdate() + dt.timedelta(days=3)
    citizen = citizen_aged(20, on=day, phone="0291555123")
    session = OutreachSessionFactory(date=day, services=["recording"])
    booking = appointment_book(
        slot=session.slots.order_by("starts_at")[0],
        citizen=citizen,
        service="recording",
        reason="new",
        phone=PHONE,
        email=EMAIL,
    )
    return {"citizen": citizen, "booking": booking}


def _download(client, citizen, **query):
    response = client.get(f"/dashboard/citizens/{citizen.pk}/data-export/", query)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    return response, json.loads(response.content)


def test_the_file_holds_everything_about_the_resident(as_user, supervisor, resident, settings):
    citizen, booking = resident["citizen"], resident["booking"]
    recording = service_request_create(
        citizen=citizen, service="recording", reason="new", channel="kecamatan", actor=supervisor
    )
    # Failed identity checks of their NIK, up to the lock (an access-log entry under a key of the NIK).
    cache.clear()
    for _ in range(settings.PUBLIC_IDENTITY_MAX_FAILURES):
        with pytest.raises(IdentityMismatchError):
            citizen_identify_public(nik=citizen.nik, kk="3319000000000000")
    other = CitizenFactory()
    listed = f"citizen 1, {citizen.pk}, 7 (+2 more)"
    audit_record(actor=supervisor, kind="reveal", action="citizen list", target=listed)
    audit_record(actor=supervisor, kind="reveal", action="citizen detail", target=f"citizen {other.pk}")
    audit_record(actor=supervisor, kind="reveal", action="citizen detail", target=f"citizen {citizen.pk}0")
    client = as_user(supervisor)
    assert client.get(f"/dashboard/citizens/{citizen.pk}/").status_code == 200  # a reveal

    response, data = _download(client, citizen, why="surat permohonan 12/2026")
    body = response.content.decode()

    record = data["resident"]
    assert (record["nik"], record["kk"], record["birth_date"]) == (
        citizen.nik,
        citizen.kk,
        citizen.birth_date.isoformat(),
    )
    assert record["full_name"] == citizen.full_name and record["kecamatan"] == "33.19.01"
    [request] = data["service_requests"]
    assert request["id"] == recording.pk and request["submitted_by"] == supervisor.username
    assert [event["to_status"] for event in request["events"]] == ["submitted"]
    [appointment] = data["bookings"]
    assert appointment["code"] == booking.appointment.code
    assert (appointment["phone"], appointment["email"]) == (PHONE, EMAIL)
    assert "booked" in [event["action"] for event in appointment["events"]]
    assert {"given_with": f"booking {booking.appointment.code}", "phone": PHONE, "email": EMAIL} in data[
        "contacts_given"
    ]
    assert {"given_with": "registry", "phone": "0291555123", "email": ""} in data["contacts_given"]
    log = data["access_log"]
    targets = [(entry["kind"], entry["target"]) for entry in log]
    assert ("reveal", f"citizen 1, {citizen.pk}, 7 (+2 more)") in targets
    assert ("reveal", f"citizen {citizen.pk}") in targets  # the page just opened
    assert ("export", f"citizen {citizen.pk}") in targets  # this export
    assert any(kind == "security" and target.startswith("nik key ") for kind, target in targets)
    assert f"citizen {other.pk}" not in [target for _, target in targets]
    assert f"citizen {citizen.pk}0" not in [target for _, target in targets]
    # No credential in the file: the manage token and its hash stay out.
    assert booking.manage_token not in body and "manage_token" not in body
    assert booking.appointment.manage_token_hash not in body


def test_the_export_is_written_to_the_access_log(as_user, supervisor, resident):
    citizen = resident["citizen"]
    _download(as_user(supervisor), citizen, why="surat 12/2026")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.EXPORT, target=f"citizen {citizen.pk}")
    assert (event.actor, event.action, event.reason) == (supervisor, "citizen data export", "surat 12/2026")


def test_admins_may_export_too(as_user, admin, resident):
    _download(as_user(admin), resident["citizen"])


@pytest.mark.parametrize("role", ["operator", "field_staff", "jati_operator", "viewer", "no_role_staff"])
def test_masked_roles_viewers_and_staff_without_a_role_cannot(request, as_user, resident, role):
    client = as_user(request.getfixturevalue(role))
    citizen = resident["citizen"]
    response = client.get(f"/dashboard/citizens/{citizen.pk}/data-export/")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT).exists()
    page = client.get(f"/dashboard/citizens/{citizen.pk}/")
    assert 'data-testid="data-export"' not in page.content.decode()


def test_anonymous_visitors_go_to_the_login_page(client, resident):
    response = client.get(f"/dashboard/citizens/{resident['citizen'].pk}/data-export/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_unknown_resident_is_404(as_user, supervisor, regions):
    assert as_user(supervisor).get("/dashboard/citizens/999999/data-export/").status_code == 404


def test_the_citizen_page_offers_the_export_to_supervisors(as_user, supervisor, resident):
    html = as_user(supervisor).get(f"/dashboard/citizens/{resident['citizen'].pk}/").content.decode()
    assert 'data-testid="data-export"' in html
    assert f"/dashboard/citizens/{resident['citizen'].pk}/data-export/" in html
