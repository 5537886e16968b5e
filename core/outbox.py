"""The transactional outbox: how every part of the portal publishes a Celery task.

`outbox_enqueue` writes a row in the caller's transaction; after the commit, `outbox_relay`
publishes it (or runs it in process when Celery is eager, the embedded default). A periodic sweeper
(`core.tasks.relay_outbox`) publishes what the commit-time relay could not, so a Redis outage
delays tasks but loses none, and no web request waits on the broker for more than one short timeout.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# Tasks are published through `current_app`, the project's Celery app (kudus_capil/celery.py makes it
# the default of every thread): core knows the platform, not the configuration package.

# Monotonic time until which commit-time relays leave publication to the sweeper (process-local).
_broker_backoff_until = 0.0


def outbox_enqueue(
    task: str,
    kwargs: dict | None = None,
    *,
    dedupe_key: str | None = None,
    eta: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
) -> OutboxMessage:
    """Queue `task(**kwargs)` to run after the current transaction commits.

    With `dedupe_key`, at most one message per key is pending: a second call while one waits
    returns the waiting one (debouncing). Arguments must be JSON: ids, never personal data.
    """
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                task=task, kwargs=kwargs or {}, dedupe_key=dedupe_key, eta=eta, expires_at=expires_at
            )
    except IntegrityError:
        # Another pending message holds this key (the partial unique constraint says so).
        existing = OutboxMessage.objects.filter(
            dedupe_key=dedupe_key, status=OutboxMessage.Status.PENDING
        ).first()
        if existing is None:  # it was relayed in between: queue a fresh one
            return outbox_enqueue(task, kwargs, dedupe_key=dedupe_key, eta=eta, expires_at=expires_at)
        return existing
    transaction.on_commit(lambda: _relay_after_commit(message.pk))
    return message


def _relay_after_commit(message_id: int) -> None:
    if not current_app.conf.task_always_eager and time.monotonic() < _broker_backoff_until:
        return  # the broker failed recently: the sweeper will publish it
    try:
        outbox_relay(ids=[message_id])
    except Exception:
        # The change is committed; publication is retried by the sweeper. Never fail the request.
        logger.exception("outbox relay after commit failed")


def _publish(message: OutboxMessage) -> str:
    if message.task not in current_app.tasks:
        current_app.loader.import_default_modules()
    if current_app.conf.task_always_eager:
        task = current_app.tasks.get(message.task)
        if task is None:
            raise LookupError(f"unknown task {message.task}")
        result = task.apply(kwargs=message.kwargs)
        return result.id or ""
    result = current_app.send_task(
        message.task,
        kwargs=message.kwargs,
        eta=message.eta,
        expires=message.expires_at,
        retry=False,
        # Nobody here waits for the result: skip the result-backend subscription, which would
        # otherwise reconnect (and block) on its own when Redis is down.
        ignore_result=True,
    )
    return result.id


def outbox_relay(*, ids: list[int] | None = None, limit: int = 500, now: dt.datetime | None = None) -> int:
    """Publish pending messages (all, or `ids`); returns how many were sent.

    Stops at the first broker error (the broker is down: the rest would fail too) and leaves the
    message pending with the error recorded.
    """
    global _broker_backoff_until
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).order_by("id")
        if ids is not None:
            pending = pending.filter(pk__in=ids)
        if not current_app.conf.task_always_eager:
            # Redis redelivers a message with a far ETA after its visibility timeout (a duplicate
            # run): such messages wait here until their ETA is near.
            horizon = now + dt.timedelta(seconds=settings.CELERY_BROKER_VISIBILITY_TIMEOUT // 2)
            pending = pending.filter(Q(eta__isnull=True) | Q(eta__lte=horizon))
        # skip_locked: a concurrent sweeper or commit-time relay takes the other rows, none twice.
        for message in pending.select_for_update(skip_locked=True)[:limit]:
            if message.expires_at and message.expires_at <= now:
                message.status = OutboxMessage.Status.EXPIRED
                message.save(update_fields=["status"])
                continue
            message.attempts += 1
            try:
                # A savepoint: an eager task that fails on the database must not break this transaction.
                with transaction.atomic():
                    message.task_id = _publish(message)
            except LookupError as exc:
                message.status = OutboxMessage.Status.FAILED
                message.last_error = str(exc)[:500]
                message.save(update_fields=["status", "attempts", "last_error"])
                logger.error("outbox message %s names an unknown task %s", message.pk, message.task)
                continue
            except Exception as exc:
                if current_app.conf.task_always_eager:
                    # An eager task that raised ran and failed: record it, do not retry forever.
                    message.status = OutboxMessage.Status.FAILED
                    message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    message.save(update_fields=["status", "attempts", "last_error"])
                    logger.exception("outbox task %s failed", message.task)
                    continue
                message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                message.save(update_fields=["attempts", "last_error"])
                _broker_backoff_until = time.monotonic() + settings.OUTBOX_BROKER_BACKOFF_SECONDS
                logger.warning("broker unavailable, %s left pending: %s", message.task, type(exc).__name__)
                break
            message.status = OutboxMessage.Status.SENT
            message.sent_at = now
            message.save(update_fields=["status", "sent_at", "attempts", "task_id"])
            sent += 1
    if sent:
        _broker_backoff_until = 0.0
    return sent


def outbox_purge(*, now: dt.datetime | None = None) -> int:
    """Delete relayed, expired and failed messages older than the retention period."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    deleted, _ = (
        OutboxMessage.objects.exclude(status=OutboxMessage.Status.PENDING)
        .filter(created_at__lt=cutoff)
        .delete()
    )
    return deleted
