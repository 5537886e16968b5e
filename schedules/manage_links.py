"""Signed manage links for messages sent after the booking (confirmation, reminders, re-sends).

The manage token itself is shown once and only its hash is stored, so a message sent later by a
task cannot carry it. It carries instead a signed value `[appointment id, code]` (django.core.signing,
own salt) that the manage pages accept in place of the token until the booking's slot has ended
(checked against the slot the booking holds when the link is used, so a moved booking keeps a
working link); SCHEDULES_MANAGE_LINK_MAX_DAYS bounds any link's age.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

MANAGE_LINK_SALT = "schedules.manage-link"
# Signed values are "<payload>:<timestamp>:<signature>"; raw manage tokens are URL-safe base64
# without ":" — the colon tells them apart.
SIGNED_MARK = ":"


def manage_link_value(appointment) -> str:
    return signing.dumps([appointment.pk, appointment.code], salt=MANAGE_LINK_SALT)


def manage_link_url(appointment) -> str:
    """The absolute manage URL for a message (PUBLIC_BASE_URL + path, the signed value in the path
    where the token goes: masked in the logs, core.url_secrets)."""
    path = reverse("schedules:manage", args=[appointment.code, manage_link_value(appointment)])
    return f"{settings.PUBLIC_BASE_URL}{path}"


def is_signed_value(value: str | None) -> bool:
    return bool(value) and SIGNED_MARK in value


def manage_link_opens(appointment, value: str, *, now: dt.datetime | None = None) -> bool:
    """Whether `value` is a valid, unexpired signed manage link of `appointment`."""
    now = now or timezone.now()
    max_age = dt.timedelta(days=settings.SCHEDULES_MANAGE_LINK_MAX_DAYS)
    try:
        payload = signing.loads(value, salt=MANAGE_LINK_SALT, max_age=max_age)
    except signing.BadSignature:  # includes SignatureExpired
        return False
    if payload != [appointment.pk, appointment.code]:
        return False
    return now < appointment.slot.ends_at
