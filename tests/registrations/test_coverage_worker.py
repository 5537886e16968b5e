"""The coverage task on a real Celery worker (separate process) over the test Redis."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from kudus_capil.celery import app as celery_app
from registrations.models import CoverageRun
from tests.factories import CitizenFactory, UserFactory
from tests.helpers import wait_for


def wait_for_runs(count: int, timeout: float = 60) -> None:
    if not wait_for(lambda: CoverageRun.objects.count() >= count, seconds=timeout, interval=0.1):
        pytest.fail(f"the worker did not write coverage run {count} within {timeout:.0f} s")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_recomputes_coverage_from_beat_and_from_the_api(regions_tx, celery_worker_process):
    CitizenFactory.create_batch(3, recorded_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    CitizenFactory(desa_id="33.19.09.2001")

    celery_app.send_task("registrations.tasks.recompute_coverage")  # by name, as beat and the outbox do
    wait_for_runs(1)
    staff = UserFactory(is_superuser=True)
    client = APIClient()
    client.force_authenticate(staff)
    response = client.post("/api/v1/coverage/recompute/")
    wait_for_runs(2)

    assert response.status_code == 202
    run = CoverageRun.objects.order_by("id").last()
    assert run.requested_at is not None  # the API passed when it asked
    kabupaten = run.snapshots.get(area_code="33.19", cohort="all")
    assert (kabupaten.wajib_ktp, kabupaten.recorded) == (4, 3)
    assert run.snapshots.get(area_code="33.19.09", cohort="all").unrecorded == 1
    assert run.snapshots.count() == (1 + 9 + 132) * 3
