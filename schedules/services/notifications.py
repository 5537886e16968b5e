"""Messages to citizens about their booking: e-mail through Django's backend, SMS/WhatsApp through
`schedules.messaging`. Written in the language the citizen booked in."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from schedules.guidance import what_to_bring
from schedules.manage_links import manage_link_url
from schedules.messaging import sms_backend

KINDS = ("confirmation", "reminder", "cancelled", "manage_link", "family_confirmation")


def rebook_url(appointment) -> str:
    query = urlencode({"service": appointment.service, "reason": appointment.reason})
    return f"{settings.PUBLIC_BASE_URL}{reverse('schedules:book')}?{query}"


def contacts_of(appointment) -> tuple[str, str]:
    """(e-mail, phone) given with the booking, else the registry's."""
    citizen = appointment.citizen
    return (appointment.email or citizen.email or "", appointment.phone or citizen.phone or "")


def appointment_message_send(appointment, *, kind: str, extra: dict | None = None) -> list[str]:
    """Send the `kind` message by every channel the citizen has; returns the channels used. `extra`
    adds to the templates' context. Raises what the backends raise (the calling task retries)."""
    if kind not in KINDS:
        raise ValueError(kind)
    email, phone = contacts_of(appointment)
    if kind == "manage_link":
        # A manage link goes only where the booking said: the registry's contacts may be stale.
        email, phone = appointment.email, appointment.phone
    slot = appointment.slot
    language = (
        appointment.language if appointment.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    )
    with translation.override(language):
        context = {
            "appointment": appointment,
            "session": slot.session,
            "slot": slot,
            "start": slot.local_start,
            "end": slot.local_end,
            "bring": what_to_bring(appointment.service, appointment.reason),
            # One line for SMS (the items are lazy strings, which the join filter does not take).
            "bring_line": " ".join(
                str(item) for item in what_to_bring(appointment.service, appointment.reason)
            ).rstrip("."),  # the text goes on with its own full stop
            "rebook_url": rebook_url(appointment),
            "manage_url": manage_link_url(appointment),
            "site_url": settings.PUBLIC_BASE_URL,
            "privacy_url": settings.PUBLIC_BASE_URL + reverse("privacy"),
            **(extra or {}),
        }
        channels = []
        if email:
            subject = render_to_string(f"emails/appointment-{kind}-subject.txt", context).strip()
            body = render_to_string(f"emails/appointment-{kind}-body.txt", context)
            send_mail(subject, body, None, [email])
            channels.append("email")
        if phone:
            text = render_to_string(f"sms/appointment-{kind}.txt", context).strip()
            sms_backend().send(to=phone, text=text)
            channels.append("sms")
    return channels
