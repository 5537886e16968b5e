"""Issue 17: the offline desk's endpoints (batch sync and the session's offline data)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registrations.models import Citizen, ServiceRequest
from schedules.models import DeskAction, QueueTicket
from schedules.services import appointment_book
from tests.factories import OutreachSessionFactory, citizen_aged
from tests.helpers import KALIWUNGU

pytestmark = pytest.mark.django_db


@pytest.fixture
def today_session(regions):
    return OutreachSessionFactory(
        date=timezone.localdate(),
        kind="cfd",
        kecamatan=KALIWUNGU,
        start_time=dt.time(0, 0),
        end_time=dt.time(23, 45),
    )


def book(session, index=0, **fields):
    citizen = citizen_aged(25 + index, on=session.date, **fields)
    slot = session.slots.order_by("starts_at")[index]
    return appointment_book(
        slot=slot,
        citizen=citizen,
        service="recording",
        reason="new",
        now=timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(9))),
    ).appointment


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def csrf_token(client, session) -> str:
    client.get(reverse("dashboard:check-in", args=[session.pk]))
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def post_batch(client, session, actions, token=None):
    headers = {"HTTP_X_CSRFTOKEN": token} if token else {}
    return client.post(
        reverse("dashboard:desk-sync", args=[session.pk]),
        data=json.dumps({"actions": actions}),
        content_type="application/json",
        **headers,
    )


def check_in_action(appointment) -> dict:
    return {
        "key": str(uuid.uuid4()),
        "kind": "check_in",
        "payload": {"code": appointment.code},
        "at": timezone.now().isoformat(),
    }


def test_sync_needs_the_csrf_token_and_applies_once(field_staff, today_session):
    appointment = book(today_session)
    client = csrf_client(field_staff)
    action = check_in_action(appointment)
    assert post_batch(client, today_session, [action]).status_code == 403
    assert DeskAction.objects.count() == 0
    token = csrf_token(client, today_session)
    first = post_batch(client, today_session, [action], token)
    assert first.status_code == 200
    assert first.json()["results"][0]["status"] == "applied"
    again = post_batch(client, today_session, [action], token).json()["results"][0]
    assert again["status"] == "duplicate" and again["result"]["ticket"] == 1
    assert QueueTicket.objects.count() == 1 and ServiceRequest.objects.count() == 1


def test_sync_of_another_kecamatan_or_role_is_refused(regions, today_session, viewer, jati_operator):
    appointment = book(today_session)
    action = check_in_action(appointment)
    for user, status in ((jati_operator, 404), (viewer, 403)):
        client = csrf_client(user)
        client.get(reverse("dashboard:overview"))
        token = client.cookies.get(settings.CSRF_COOKIE_NAME)
        response = post_batch(client, today_session, [action], token.value if token else "x")
        assert response.status_code == status, user
    assert DeskAction.objects.count() == 0


def test_bad_batches_are_clear_400s(field_staff, today_session, as_user):
    client = as_user(field_staff)
    url = reverse("dashboard:desk-sync", args=[today_session.pk])
    bad_json = client.post(url, data="{not json", content_type="application/json")
    assert bad_json.status_code == 400 and bad_json.json()["code"] == "invalid_json"
    not_list = client.post(url, data=json.dumps({"actions": "x"}), content_type="application/json")
    assert not_list.status_code == 400 and "at most 500" in not_list.json()["detail"]
    assert client.get(url).status_code == 405


def test_offline_data_is_the_session_only_masked_with_eligibility_on_the_day(
    regions, field_staff, supervisor, today_session, as_user, settings
):
    settings.DESK_OFFLINE_MAX_AGE_HOURS = 2
    eligible = book(today_session, index=0)
    refused = book(today_session, index=1)
    Citizen.objects.filter(pk=refused.citizen_id).update(deceased=True)
    elsewhere = OutreachSessionFactory(kecamatan=KALIWUNGU)
    not_here = book(elsewhere, index=0)
    url = reverse("dashboard:desk-offline-data", args=[today_session.pk])
    response = as_user(field_staff).get(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    data = response.json()
    codes = {b["code"]: b for b in data["bookings"]}
    assert set(codes) == {eligible.code, refused.code}
    assert not_here.code not in json.dumps(data)
    assert codes[eligible.code]["eligible"] is True
    assert codes[refused.code]["eligible"] is False and "deceased" in codes[refused.code]["eligibility_error"]
    assert codes[eligible.code]["nik"] == eligible.citizen.masked_nik != eligible.citizen.nik
    assert eligible.citizen.birth_date.isoformat() not in json.dumps(data)
    expires = dt.datetime.fromisoformat(data["expires_at"])
    assert expires <= timezone.now() + dt.timedelta(hours=2)
    full = as_user(supervisor).get(url).json()
    assert {b["nik"] for b in full["bookings"]} == {eligible.citizen.nik, refused.citizen.nik}


def test_offline_data_of_another_kecamatan_is_not_found(jati_operator, today_session, as_user):
    url = reverse("dashboard:desk-offline-data", args=[today_session.pk])
    assert as_user(jati_operator).get(url).status_code == 404


def test_offline_data_expires_at_the_latest_an_hour_after_the_session(field_staff, as_user, regions):
    session = OutreachSessionFactory(
        date=timezone.localdate(), kecamatan=KALIWUNGU, start_time=dt.time(0, 0), end_time=dt.time(0, 30)
    )
    data = as_user(field_staff).get(reverse("dashboard:desk-offline-data", args=[session.pk])).json()
    assert dt.datetime.fromisoformat(data["expires_at"]) == session.ends_at + dt.timedelta(hours=1)


def test_logout_tells_the_browser_to_delete_the_desk_data(field_staff, as_user):
    client = as_user(field_staff)
    response = client.post(reverse("logout"))
    assert response.status_code in (200, 302)
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert "_auth_user_id" not in client.session


def test_the_service_worker_is_served_for_the_dashboard_scope(client):
    response = client.get(reverse("desk-sw"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == reverse("dashboard:overview")
    assert b"addEventListener('fetch'" in response.content


def test_the_offline_desk_page_is_a_shell_without_personal_data(field_staff, today_session, as_user):
    appointment = book(today_session)
    response = as_user(field_staff).get(reverse("dashboard:desk-offline", args=[today_session.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert appointment.citizen.full_name not in html and appointment.code not in html
    assert "desk/manifest" in html and "desk-offline.js" in html
