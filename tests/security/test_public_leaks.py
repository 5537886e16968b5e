"""Smaller leaks of the public side (issue 13): the queue of unpublished sessions, booking codes
and request ids on the queue, staff notes in the anonymous session API, the manage link in .ics."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from schedules.models import QueueTicket
from tests.factories import CitizenFactory, OutreachSessionFactory, staff_user

pytestmark = pytest.mark.django_db


def _ticket(session, number: int, **fields) -> QueueTicket:
    return QueueTicket.objects.create(
        session=session, number=number, citizen=CitizenFactory(), service="recording",
        issued_at=timezone.now(), **fields,
    )  # fmt: skip


@pytest.fixture
def sessions(regions):
    day = timezone.localdate() + dt.timedelta(days=3)
    published = OutreachSessionFactory(date=day, kecamatan="33.19.01", notes="Pak Budi 0812 9999 0000")
    hidden = OutreachSessionFactory(date=day, kecamatan="33.19.01", published=False)
    for session in (published, hidden):
        _ticket(session, 1, status="called", desk=2, called_at=timezone.now())
        _ticket(session, 2)
    return published, hidden


def test_the_queue_of_an_unpublished_session_is_not_public(client, sessions):
    published, hidden = sessions
    assert APIClient().get(f"/api/v1/sessions/{hidden.pk}/queue/").status_code == 404
    assert client.get(f"/sessions/{hidden.pk}/queue/").status_code == 404
    assert APIClient().get(f"/api/v1/sessions/{published.pk}/queue/").status_code == 200
    assert client.get(f"/sessions/{published.pk}/queue/").status_code == 200


def test_the_public_queue_has_numbers_and_desks_only(sessions):
    published, _hidden = sessions
    body = APIClient().get(f"/api/v1/sessions/{published.pk}/queue/").json()
    assert body["serving"] == [{"number": 1, "desk": 2}]
    assert body["waiting"] == [2]


def test_staff_notes_are_not_in_the_anonymous_session_api(sessions):
    published, _hidden = sessions
    listed = APIClient().get("/api/v1/sessions/").json()["results"]
    one = APIClient().get(f"/api/v1/sessions/{published.pk}/").json()
    assert all("notes" not in item for item in listed) and "notes" not in one
    assert "0812" not in str(listed) + str(one)
    staff = APIClient()
    staff.force_authenticate(staff_user("operator", kecamatan=("33.19.01",)))
    assert staff.get(f"/api/v1/sessions/{published.pk}/").json()["notes"] == "Pak Budi 0812 9999 0000"
