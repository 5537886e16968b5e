"""Refused staff requests (403/404 on /dashboard/, /admin/, /api/) are in the audit log, at most
once per user and route per interval, with the URL path only and NIK-like numbers masked
(core/audit.py)."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.roles import staff_create
from tests.factories import CitizenFactory, desa
from tests.helpers import api_token

pytestmark = pytest.mark.django_db

NIK = "3319011107900001"


def refusals(**filters) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(kind="security", action__startswith="refused", **filters).order_by("pk")
    )


@pytest.fixture
def operator(regions):
    return staff_create(username="op-refused", role="operator", kecamatan_codes=["33.19.01"])


def signed_in(user) -> Client:
    client = Client(REMOTE_ADDR="10.7.0.1")
    client.force_login(user)
    return client


def test_a_forbidden_dashboard_page_is_recorded(operator):
    response = signed_in(operator).get("/dashboard/staff/")

    assert response.status_code == 403
    (event,) = refusals()
    assert (event.actor, event.action, event.target, event.status_code, event.ip_address) == (
        operator, "refused GET /dashboard/staff/", "dashboard:staff", 403, "10.7.0.1"
    )  # fmt: skip


def test_the_url_part_has_no_query_string_and_no_nik(operator):
    client = signed_in(operator)
    assert client.get(f"/dashboard/people/{NIK}/", {"q": NIK, "why": "0812345678901"}).status_code == 404
    assert client.get(f"/admin/registrations/citizen/{NIK}/change/").status_code in (302, 404)

    events = refusals()
    assert events[0].action == "refused GET /dashboard/people/3319********0001/"
    for event in events:
        recorded = f"{event.action} {event.target} {event.reason}"
        assert NIK not in recorded and "?" not in recorded and "0812345678901" not in recorded


def test_api_refusals_with_a_token_are_recorded_too(operator, regions):
    elsewhere = CitizenFactory(area6="331903", desa=desa("33.19.03.2001"))
    viewer = staff_create(username="viewer-refused", role="viewer")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(operator)}")
    assert api.get(f"/api/v1/citizens/{elsewhere.pk}/").status_code == 404  # another kecamatan's
    viewing = APIClient()
    viewing.credentials(HTTP_AUTHORIZATION=f"Token {api_token(viewer)}")
    assert viewing.get("/api/v1/citizens/").status_code == 403

    assert [(e.actor, e.status_code, e.target) for e in refusals()] == [
        (operator, 404, "citizen-detail"),
        (viewer, 403, "citizen-list"),
    ]
    assert refusals()[0].action == f"refused GET /api/v1/citizens/{elsewhere.pk}/"


def test_one_record_per_user_and_route_per_interval(operator, settings):
    settings.AUDIT_REFUSED_INTERVAL_SECONDS = 1
    client = signed_in(operator)
    other = signed_in(staff_create(username="field-refused", role="field", kecamatan_codes=["33.19.01"]))
    for _attempt in range(5):
        assert client.get("/dashboard/staff/").status_code == 403
    for path in ("/dashboard/people/1/", "/dashboard/people/2/"):  # one unknown path each
        client.get(path)
    other.get("/dashboard/staff/")
    assert [(e.actor.username, e.action) for e in refusals()] == [
        ("op-refused", "refused GET /dashboard/staff/"),
        ("op-refused", "refused GET /dashboard/people/1/"),
        ("op-refused", "refused GET /dashboard/people/2/"),
        ("field-refused", "refused GET /dashboard/staff/"),
    ]

    time.sleep(2.1)  # the interval is over (the database cache counts whole seconds)
    client.get("/dashboard/staff/")
    assert len(refusals(actor=operator, action="refused GET /dashboard/staff/")) == 2


def test_anonymous_and_public_answers_are_not_recorded(operator, regions):
    assert APIClient().get("/api/v1/citizens/").status_code == 401
    assert Client().get("/no-such-page/").status_code == 404
    assert signed_in(operator).get("/no-such-public-page/").status_code == 404
    assert signed_in(operator).get("/dashboard/").status_code == 200
    assert refusals() == []
