"""The platform's tables: the transactional outbox, the audit trail and staff assignments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from regions.models import Kecamatan


class OutboxMessage(models.Model):
    """A task to publish, written in the same transaction as the change that calls for it.

    A relay publishes pending messages to Celery after the commit, and a periodic sweeper retries
    whatever could not be published (broker down), so no web request waits on Redis and nothing is
    lost. `dedupe_key` allows at most one pending message per key (debouncing); `expires_at` drops
    a message that would be pointless late (a reminder after its appointment).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        EXPIRED = "expired", _("expired")
        FAILED = "failed", _("failed")

    task = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    # NULL, not "": messages without a key must never collide in the unique constraint.
    dedupe_key = models.CharField(_("dedupe key"), max_length=200, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    eta = models.DateTimeField(_("run not before"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], name="outbox_pending", condition=Q(status="pending")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(status="pending"),
                name="outbox_one_pending_per_dedupe_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} [{self.status}]"


class AuditEvent(models.Model):
    """Append-only trail of staff actions: every change, every reveal of personal data, every export.

    Rows are only ever inserted (services and the audit middleware); admin shows them read-only.
    """

    class Kind(models.TextChoices):
        CHANGE = "change", _("change")
        REVEAL = "reveal", _("personal data revealed")
        EXPORT = "export", _("export")
        SECURITY = "security", _("security")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events",
        verbose_name=_("who"),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    action = models.CharField(_("what"), max_length=200)
    target = models.CharField(_("object"), max_length=200, blank=True)
    reason = models.CharField(_("why"), max_length=300, blank=True)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "created_at"], name="audit_kind_created")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"


class StaffAssignment(models.Model):
    """The kecamatan a staff user works in. Operators and field staff see only these."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_assignment"
    )
    kecamatan = models.ManyToManyField(Kecamatan, blank=True, related_name="staff_assignments")

    class Meta:
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")

    def __str__(self) -> str:
        return str(self.user)
