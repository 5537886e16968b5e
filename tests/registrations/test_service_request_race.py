"""One open request per citizen and service, decided by the database under a race (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from registrations.exceptions import AlreadyOpenError
from registrations.models import ServiceRequest
from registrations.services import service_requests
from tests.factories import CitizenFactory
from tests.helpers import needs_postgres, run_concurrently

RACERS = 10
NOW = dt.datetime(2024, 2, 2, 3, 0, tzinfo=dt.UTC)

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True)]


def _race(citizen, monkeypatch) -> list[object]:
    # Every thread passes the "already open?" check before any inserts: only the constraint decides.
    after_check = threading.Barrier(RACERS)
    monkeypatch.setattr(service_requests, "_before_insert_hook", lambda: after_check.wait(timeout=30))
    return run_concurrently(
        RACERS,
        lambda i: service_requests.service_request_create(
            citizen=citizen, service="recording", reason="new", channel="cfd", now=NOW
        ),
    )


def test_racing_submissions_for_one_citizen_open_exactly_one_request(regions_tx, monkeypatch):
    citizen = CitizenFactory(birth_date=dt.date(2006, 1, 1))
    results = _race(citizen, monkeypatch)
    assert sum(isinstance(r, ServiceRequest) for r in results) == 1, results
    assert sum(isinstance(r, AlreadyOpenError) for r in results) == RACERS - 1
    assert ServiceRequest.objects.filter(citizen=citizen).count() == 1


def test_without_the_constraint_the_same_race_opens_duplicates(regions_tx, monkeypatch):
    """Proves the test above can fail: the check alone lets every racer in."""
    constraint = next(
        c for c in ServiceRequest._meta.constraints if c.name == "registrations_one_open_request"
    )
    with connection.schema_editor() as editor:
        editor.remove_constraint(ServiceRequest, constraint)
    try:
        citizen = CitizenFactory(birth_date=dt.date(2006, 1, 1))
        _race(citizen, monkeypatch)
        assert ServiceRequest.objects.filter(citizen=citizen, status="submitted").count() > 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE registrations_servicerequestevent, registrations_servicerequest CASCADE")
        with connection.schema_editor() as editor:
            editor.add_constraint(ServiceRequest, constraint)
