from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.audit import audit_record
from core.models import AuditEvent
from core.tasks import apply_retention


def test_audit_entries_past_the_retention_period_are_purged(db, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = audit_record(actor=None, kind="export", action="csv export")
    recent = audit_record(actor=None, kind="reveal", action="citizen detail")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    result = apply_retention.delay().get()
    assert result["audit_log"] == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert apply_retention.delay().get()["audit_log"] == 0  # runs twice, same result


def test_login_records_are_kept_as_long_as_the_access_log_and_stale_lockout_counters_go(db, settings):
    from axes.models import AccessAttempt, AccessLog

    settings.AUDIT_RETENTION_DAYS = 30
    fields = {
        "user_agent": "x",
        "ip_address": "10.0.0.1",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    old_login = AccessLog.objects.create(username="op1", **fields)
    recent_login = AccessLog.objects.create(username="op2", **fields)
    stale = AccessAttempt.objects.create(
        username="op3", get_data="", post_data="", failures_since_start=2, **fields
    )
    current = AccessAttempt.objects.create(
        username="op4", get_data="", post_data="", failures_since_start=1, **fields
    )
    now = timezone.now()
    AccessLog.objects.filter(pk=old_login.pk).update(attempt_time=now - dt.timedelta(days=31))
    AccessAttempt.objects.filter(pk=stale.pk).update(attempt_time=now - settings.AXES_COOLOFF_TIME * 2)
    assert apply_retention.delay().get()["login_records"] == 2
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent_login.pk]
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [current.pk]
