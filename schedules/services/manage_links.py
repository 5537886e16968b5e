"""Find my booking: the manage link sent again to the contacts given at booking.

The manage token is stored only as a hash, so the link sent is a signed, expiring one
(`schedules.codes.manage_link_token`, SCHEDULES_MANAGE_LINK_MAX_AGE). It is never shown on screen:
the public asks with the NIK and the family card (KK) number and always gets the same answer,
whether or not they match and whether or not a booking exists.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.outbox import outbox_enqueue
from registrations.exceptions import IdentityMismatchError
from registrations.services.identity import citizen_identify_public
from schedules.codes import manage_link_token
from schedules.models import Appointment
from schedules.services.notifications import appointment_message_send


def appointment_manage_link_resend(appointment: Appointment) -> None:
    """Queue the manage link of `appointment` to its booking contacts (one pending per booking)."""
    outbox_enqueue(
        "schedules.tasks.appointment_send_manage_link",
        {"appointment_id": appointment.pk},
        dedupe_key=f"schedules:manage-link:{appointment.pk}",
        expires_at=appointment.slot.starts_at,
    )


@transaction.atomic
def appointments_find(*, nik: str, kk: str, request=None, now: dt.datetime | None = None) -> int:
    """Send the manage link of each upcoming active booking of the resident with this NIK and KK
    number that has a phone or e-mail. Returns how many were queued (for tests and logs only: the
    public answer is the same whatever it is). Failed identity checks count towards the NIK's lock
    (`citizen_identify_public`) and queue nothing."""
    now = now or timezone.now()
    try:
        citizen = citizen_identify_public(nik=nik, kk=kk, request=request)
    except IdentityMismatchError:
        return 0
    bookings = list(
        Appointment.objects.select_related("slot")
        .filter(citizen=citizen, status=Appointment.Status.ACTIVE, slot__ends_at__gt=now)
        .exclude(phone="", email="")
        .order_by("pk")
    )
    for appointment in bookings:
        appointment_manage_link_resend(appointment)
    return len(bookings)


def manage_link_url(appointment: Appointment) -> str:
    token = manage_link_token(code=appointment.code, stored_hash=appointment.manage_token_hash)
    # The token is a path segment, masked in every log (core.url_secrets).
    return f"{settings.PUBLIC_BASE_URL}{reverse('schedules:manage', args=[appointment.code, token])}"


def appointment_manage_link_send(*, appointment_id: int, now: dt.datetime | None = None) -> bool:
    """Send the manage link of one booking (task). Nothing for a booking no longer active or past.
    Returns whether it was sent."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update()
            .select_related("slot__session__kecamatan", "citizen")
            .filter(pk=appointment_id)
            .first()
        )
        if appointment is None or appointment.status != Appointment.Status.ACTIVE:
            return False
        if appointment.slot.ends_at <= now:
            return False
        # The row lock is held while sending, so two deliveries of the task do not both send.
        channels = appointment_message_send(
            appointment, kind="manage_link", extra={"manage_url": manage_link_url(appointment)}
        )
    return bool(channels)
