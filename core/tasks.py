"""Infrastructure tasks. Each is idempotent (a second run finds nothing left to do), hence
`acks_late=True`: a worker lost mid-run leaves the message to be delivered again."""

from __future__ import annotations

from celery import shared_task

from core.outbox import outbox_purge, outbox_relay
from core.retention import retention_apply


@shared_task(name="core.tasks.relay_outbox", ignore_result=True, acks_late=True)
def relay_outbox() -> int:
    """Publish outbox messages left pending (broker outage, crash between commit and relay)."""
    return outbox_relay()


@shared_task(name="core.tasks.purge_outbox", ignore_result=True, acks_late=True)
def purge_outbox() -> int:
    return outbox_purge()


@shared_task(name="core.tasks.apply_retention", ignore_result=True, acks_late=True)
def apply_retention() -> dict[str, int]:
    """Purge or anonymise personal data past its retention period (idempotent)."""
    return retention_apply()
