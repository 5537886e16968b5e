"""Celery tasks of the schedules app: thin, idempotent, taking ids, retried on transient errors.

The two sweeps run from the beat schedule (settings.CELERY_BEAT_SCHEDULE) and publish one task per
booking or session through the outbox; the per-item tasks call a service that does its work once.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from schedules import services

# Transient failures worth retrying: the database or the mail/SMS gateway being briefly away
# (smtplib.SMTPException, ConnectionError and TimeoutError are all OSErrors).
TRANSIENT = (OperationalError, InterfaceError, OSError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 30,
    "retry_backoff_max": 900,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(name="schedules.tasks.reminders_dispatch", **RETRY)
def reminders_dispatch() -> int:
    return services.appointment_reminders_enqueue()


@shared_task(name="schedules.tasks.appointment_send_reminder", **RETRY)
def appointment_send_reminder(appointment_id: int) -> bool:
    return services.appointment_remind(appointment_id=appointment_id)


@shared_task(name="schedules.tasks.appointment_send_confirmation", **RETRY)
def appointment_send_confirmation(appointment_id: int) -> bool:
    return services.appointment_confirm(appointment_id=appointment_id)


@shared_task(name="schedules.tasks.appointment_notify_cancelled", **RETRY)
def appointment_notify_cancelled(appointment_id: int) -> bool:
    return services.appointment_notify_cancelled(appointment_id=appointment_id)


@shared_task(name="schedules.tasks.no_shows_dispatch", **RETRY)
def no_shows_dispatch() -> int:
    return services.no_shows_enqueue()


@shared_task(name="schedules.tasks.session_mark_no_shows", **RETRY)
def session_mark_no_shows(session_id: int) -> int:
    return services.session_mark_no_shows(session_id=session_id)


@shared_task(name="schedules.tasks.appointment_send_manage_link", **RETRY)
def appointment_send_manage_link(appointment_id: int) -> bool:
    return services.appointment_manage_link_send(appointment_id=appointment_id)


@shared_task(name="schedules.tasks.family_send_confirmation", **RETRY)
def family_send_confirmation(family: str) -> bool:
    return services.family_confirm(family=family)


@shared_task(name="schedules.tasks.waitlist_sweep", **RETRY)
def waitlist_sweep(session_id: int | None = None) -> int:
    return services.waitlist_sweep(session_id=session_id)


@shared_task(name="schedules.tasks.waitlist_send_offer", **RETRY)
def waitlist_send_offer(entry_id: int) -> bool:
    return services.waitlist_offer_send(entry_id=entry_id)
