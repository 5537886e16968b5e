"""The confirmation message of a new booking (code, time, place, what to bring, manage link).

`appointment_book` queues it through the outbox in the booking's transaction, so the booking never
waits on a mail server or SMS gateway and a rolled-back booking sends nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.outbox import outbox_enqueue
from schedules.models import Appointment, ScheduleEvent
from schedules.services.events import event_log
from schedules.services.notifications import appointment_message_send

CONFIRM_TASK = "schedules.tasks.appointment_send_confirmation"


def appointment_confirmation_enqueue(appointment: Appointment) -> None:
    """Queue the confirmation of `appointment` (call inside the booking's transaction)."""
    outbox_enqueue(
        CONFIRM_TASK,
        {"appointment_id": appointment.pk},
        dedupe_key=f"schedules:confirmation:{appointment.pk}",
        expires_at=appointment.slot.ends_at,
    )


def appointment_confirm(*, appointment_id: int, now: dt.datetime | None = None) -> bool:
    """Send the confirmation of one booking by every channel given, once. Returns whether it was
    sent now (False: already sent, no longer active, or its slot has ended). Raises what the mail or
    SMS backend raises (the task retries; the row lock and the sent mark roll back together)."""
    now = now or timezone.now()
    with transaction.atomic():
        # Locked while sending: two deliveries of the same task send it once.
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("slot__session__kecamatan", "citizen")
            .filter(pk=appointment_id)
            .first()
        )
        if appointment is None or appointment.confirmation_sent_at is not None:
            return False
        if appointment.status != Appointment.Status.ACTIVE or appointment.slot.ends_at <= now:
            return False
        channels = appointment_message_send(appointment, kind="confirmation")
        appointment.confirmation_sent_at = now
        appointment.save(update_fields=["confirmation_sent_at"])
        event_log(
            action=ScheduleEvent.Action.CONFIRMED,
            session=appointment.slot.session_id,
            appointment=appointment,
            slot=appointment.slot,
            at=now,
            note=", ".join(channels) or "no contact",
        )
    return True
