"""The coverage task on a real Celery worker (separate process) over the test Redis."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.result import AsyncResult
from rest_framework.test import APIClient

from kudus_capil.celery import app as celery_app
from registrations.models import CoverageRun
from registrations.tasks import recompute_coverage
from tests.factories import CitizenFactory, UserFactory


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_recomputes_coverage_from_beat_and_from_the_api(regions_tx, celery_worker_process):
    CitizenFactory.create_batch(3, recorded_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    CitizenFactory(desa_id="33.19.09.2001")

    by_name = celery_app.send_task("registrations.tasks.recompute_coverage")  # what beat and the outbox send
    first = by_name.get(timeout=60)

    staff = UserFactory(is_superuser=True)
    client = APIClient()
    client.force_authenticate(staff)
    response = client.post("/api/v1/coverage/recompute/")
    second = AsyncResult(response.json()["task_id"], app=celery_app).get(timeout=60)

    assert first["status"] == "computed"
    assert response.status_code == 202
    assert second["status"] == "computed"
    run = CoverageRun.objects.get(pk=second["run_id"])
    kabupaten = run.snapshots.get(area_code="33.19", cohort="all")
    assert (kabupaten.wajib_ktp, kabupaten.recorded) == (4, 3)
    assert run.snapshots.get(area_code="33.19.09", cohort="all").unrecorded == 1
    assert CoverageRun.objects.count() == 2
    assert recompute_coverage.name == "registrations.tasks.recompute_coverage"
