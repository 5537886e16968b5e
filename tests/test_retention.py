from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kudus_capil.audit import audit_record
from kudus_capil.models import AuditEvent
from kudus_capil.tasks import apply_retention


def test_audit_entries_past_the_retention_period_are_purged(db, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    old = audit_record(actor=None, kind="export", action="csv export")
    recent = audit_record(actor=None, kind="reveal", action="citizen detail")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    result = apply_retention.delay().get()
    assert result["audit_log"] == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert apply_retention.delay().get()["audit_log"] == 0  # runs twice, same result
