"""Text messages (SMS/WhatsApp) behind one small interface; e-mail goes through Django's backend.

A gateway is a class with `send(*, to: str, text: str) -> None` that raises on failure (the calling
task retries). `SMS_BACKEND` names it; the console backend is the default so nothing leaves the
machine until a real gateway is configured.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
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


class SMSGatewayError(OSError):
    """The gateway refused or failed a message (an OSError: the sending task retries it)."""


class HTTPGatewaySMSBackend:
    """Posts `{"to": ..., "text": ...}` as JSON to SMS_GATEWAY_URL with `Authorization: Bearer
    SMS_GATEWAY_KEY`; any answer but 2xx raises SMSGatewayError. The error text never carries the
    number or the message (they are personal data)."""

    def __init__(self) -> None:
        if not settings.SMS_GATEWAY_URL.startswith(("https://", "http://")):
            raise SMSGatewayError("SMS_GATEWAY_URL is not set to an http(s) URL")
        self.url = settings.SMS_GATEWAY_URL
        self.key = settings.SMS_GATEWAY_KEY
        self.timeout = settings.SMS_GATEWAY_TIMEOUT

    def send(self, *, to: str, text: str) -> None:
        body = json.dumps({"to": to, "text": text}).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - the URL scheme is checked above
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            raise SMSGatewayError(f"SMS gateway answered HTTP {error.code}") from None
        except (urllib.error.URLError, TimeoutError) as error:
            raise SMSGatewayError(f"SMS gateway unreachable: {type(error).__name__}") from None
        if not 200 <= status < 300:
            raise SMSGatewayError(f"SMS gateway answered HTTP {status}")


def sms_backend() -> SMSBackend:
    return import_string(settings.SMS_BACKEND)()
