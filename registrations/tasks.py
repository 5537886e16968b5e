"""Celery tasks of the registrations app: thin wrappers around services, safe to run twice."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from registrations.coverage import RecomputeStatus, coverage_recompute, coverage_snapshots_thin

logger = logging.getLogger(__name__)

# A run that found the lock taken tries again this much later: the running run may have started
# counting before the change that triggered this one.
BUSY_RETRY_SECONDS = 30


def _connection_retry_delay(retries: int) -> int:
    return min(2 ** (retries + 1), 60)  # 2, 4, 8 … 60 s: a PostgreSQL restart takes seconds


# No stored result: nobody reads it (readers use the snapshot), and publishing then never waits on
# the result backend.
# acks_late: a run cut off by a lost worker is delivered again, and running twice is harmless.
@shared_task(
    bind=True,
    name="registrations.tasks.recompute_coverage",
    max_retries=5,
    ignore_result=True,
    acks_late=True,
)
def recompute_coverage(self, requested_at: str | None = None, reference_date: str | None = None) -> dict:
    """Recompute coverage (all areas, all cohorts). Published by beat every 5 minutes, by staff
    (`POST /api/v1/coverage/recompute/`) and through the outbox after completions
    (dedupe_key "coverage-refresh").

    `requested_at` (ISO 8601) lets a late run skip when a run that started after it was asked for
    has already completed; without it, the start of this task stands in (never skips wrongly).
    """
    asked = dt.datetime.fromisoformat(requested_at) if requested_at else timezone.now()
    day = dt.date.fromisoformat(reference_date) if reference_date else None
    try:
        result = coverage_recompute(reference_date=day, requested_at=asked)
    except (OperationalError, InterfaceError) as exc:
        # Lost database connection (restart, failover, network): drop it so the retry opens a new one.
        connection.close()
        logger.warning("coverage recompute: database error, retry %s", self.request.retries + 1)
        raise self.retry(exc=exc, countdown=_connection_retry_delay(self.request.retries)) from exc
    if result.status is RecomputeStatus.BUSY and not self.request.is_eager and self.request.retries < 3:
        raise self.retry(
            kwargs={"requested_at": asked.isoformat(), "reference_date": reference_date},
            countdown=BUSY_RETRY_SECONDS,
        )
    return {"status": result.status.value, "run_id": result.run.pk if result.run else None}


@shared_task(name="registrations.tasks.thin_coverage_snapshots", ignore_result=True, acks_late=True)
def thin_coverage_snapshots() -> int:
    """Hourly: thin the coverage history (all runs for a day, hourly for a week, daily after)."""
    return coverage_snapshots_thin()
