"""Retention of personal data (UU 27/2022: keep it only as long as the service needs it).

Each app registers a purge function here; the periodic task `core.tasks.apply_retention`
runs them all. Periods are settings (docs/personal-data.md, "Retention").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from core.models import AuditEvent

_PURGERS: dict[str, Callable[[dt.datetime], int]] = {}
# The setting (a number of days) each purger reads: the privacy notice shows these values.
_PERIOD_SETTINGS: dict[str, str] = {}


def register_purger(name: str, purger: Callable[[dt.datetime], int], *, days_setting: str) -> None:
    """`purger(now) -> rows affected`; it decides its own cut-off from its own setting,
    `days_setting` (the name of that setting, a number of days: the privacy notice shows it)."""
    _PURGERS[name] = purger
    _PERIOD_SETTINGS[name] = days_setting


def retention_periods() -> dict[str, int]:
    """{purger name: its retention period in days}, read from the settings the purgers use now."""
    return {name: int(getattr(settings, setting)) for name, setting in sorted(_PERIOD_SETTINGS.items())}


def audit_log_purge(now: dt.datetime) -> int:
    """Delete access-log and audit entries older than AUDIT_RETENTION_DAYS."""
    cutoff = now - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


register_purger("audit_log", audit_log_purge, days_setting="AUDIT_RETENTION_DAYS")


def login_records_purge(now: dt.datetime) -> int:
    """django-axes' records of staff logins (username, IP address, browser): the login and failure
    logs are kept as long as the access log; a failed-attempt counter only until its cool-off
    has passed (it locks nobody out any more)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = now - dt.timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted = AccessLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    deleted += AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    stale = now - settings.AXES_COOLOFF_TIME
    deleted += AccessAttempt.objects.filter(attempt_time__lt=stale).delete()[0]
    return deleted


register_purger("login_records", login_records_purge, days_setting="AUDIT_RETENTION_DAYS")


def retention_apply(*, now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {name: purger(now) for name, purger in sorted(_PURGERS.items())}
