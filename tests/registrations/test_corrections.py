"""Correction requests (UU 27/2022 Art. 6): a service request of the service `correction`, with the
change asked for, through the one workflow; no card milestone; the database refuses one without
the change."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import NotFoundError, NotPermittedError
from core.models import OutboxMessage
from registrations.exceptions import AlreadyOpenError, CorrectionInvalidError
from registrations.models import Citizen, ServiceRequest
from registrations.services.corrections import correction_request_create
from registrations.services.service_requests import (
    service_request_complete,
    service_request_reject,
    service_request_start,
)
from schedules.models import Service as BookableService
from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(regions):
    return CitizenFactory(full_name="Siti Aminah")


def test_a_correction_is_a_service_request_with_the_change(citizen, operator):
    request = correction_request_create(
        citizen=citizen, field="full_name", requested="Siti Aminah Rahayu", actor=operator
    )
    request.refresh_from_db()
    assert (request.service, request.reason, request.status) == ("correction", "data_change", "submitted")
    assert request.notes == "nama lengkap: Siti Aminah Rahayu"  # in the office's language
    assert request.submitted_by == operator
    [event] = request.events.all()
    assert event.detail["correction"] == {"field": "full_name", "requested": "Siti Aminah Rahayu"}


def test_it_goes_through_the_workflow_and_sets_no_milestone(citizen, operator):
    before = Citizen.objects.values("recorded_at", "printed_at", "ikd_activated_at").get(pk=citizen.pk)
    request = correction_request_create(
        citizen=citizen, field="birth_place", requested="Pati", actor=operator
    )
    outbox_before = OutboxMessage.objects.count()
    service_request_start(service_request=request, actor=operator)
    done = service_request_complete(service_request=request, actor=operator)
    assert done.status == "completed" and done.completed_at is not None
    assert (
        Citizen.objects.values("recorded_at", "printed_at", "ikd_activated_at").get(pk=citizen.pk) == before
    )
    assert OutboxMessage.objects.count() == outbox_before  # no coverage recompute for a correction
    assert [event.to_status for event in done.events.order_by("at", "id")] == [
        "submitted",
        "in_progress",
        "completed",
    ]


def test_it_can_be_rejected_with_a_reason(citizen, operator):
    request = correction_request_create(citizen=citizen, field="sex", requested="P", actor=operator)
    rejected = service_request_reject(service_request=request, actor=operator, reason="no document shown")
    assert rejected.status == "rejected" and rejected.status_reason == "no document shown"
    # Closed: a new correction may be asked for.
    correction_request_create(citizen=citizen, field="sex", requested="P (with KK)", actor=operator)


def test_a_deceased_residents_data_may_be_corrected_too(regions, operator):
    citizen = CitizenFactory(deceased=True)
    assert correction_request_create(citizen=citizen, field="other", requested="x", actor=operator).pk


@pytest.mark.parametrize(
    ("field", "requested"), [("nik", "3319…"), ("full_name", "  "), ("address", "x" * 501)]
)
def test_an_unknown_field_or_no_change_is_refused_and_nothing_written(citizen, operator, field, requested):
    with pytest.raises(CorrectionInvalidError):
        correction_request_create(citizen=citizen, field=field, requested=requested, actor=operator)
    assert not ServiceRequest.objects.exists()


def test_one_open_correction_at_a_time(citizen, operator):
    correction_request_create(citizen=citizen, field="address", requested="RT 2 RW 3", actor=operator)
    with pytest.raises(AlreadyOpenError):
        correction_request_create(citizen=citizen, field="email", requested="a@b.test", actor=operator)


def test_staff_of_another_kecamatan_and_viewers_cannot(citizen, jati_operator, viewer):
    with pytest.raises(NotFoundError):
        correction_request_create(citizen=citizen, field="address", requested="RT 2", actor=jati_operator)
    with pytest.raises(NotPermittedError):
        correction_request_create(citizen=citizen, field="address", requested="RT 2", actor=viewer)
    assert not ServiceRequest.objects.exists()


def test_the_database_refuses_a_correction_without_the_change(citizen):
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequest.objects.create(
            citizen=citizen, service="correction", reason="data_change", channel="office",
            submitted_at=timezone.now(), notes="",
        )  # fmt: skip


def test_a_correction_is_not_a_bookable_service():
    assert "correction" in ServiceRequest.Service.values
    assert "correction" not in BookableService.values
