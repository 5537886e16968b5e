"""Text messages (SMS/WhatsApp) behind one small interface; e-mail goes through Django's backend.

A gateway is a class with `send(*, to: str, text: str) -> None` that raises on failure (the calling
task retries). `SMS_BACKEND` names it; the console backend is the default so nothing leaves the
machine until a real gateway is configured.
"""

from __future__ import annotations

import sys
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class SMSBackend(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


def mask_phone(phone: str) -> str:
    return f"{'*' * max(len(phone) - 3, 0)}{phone[-3:]}"


class ConsoleSMSBackend:
    """Prints each message with the number masked (personal data stays out of logs)."""

    def send(self, *, to: str, text: str) -> None:
        sys.stdout.write(f"[sms to {mask_phone(to)}] {text}\n")
        sys.stdout.flush()


class LocmemSMSBackend:
    """Keeps messages in `LocmemSMSBackend.outbox` (tests)."""

    outbox: list[dict[str, str]] = []

    def send(self, *, to: str, text: str) -> None:
        LocmemSMSBackend.outbox.append({"to": to, "text": text})


def sms_backend() -> SMSBackend:
    return import_string(settings.SMS_BACKEND)()
