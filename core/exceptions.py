"""The one base class of domain errors.

Services raise subclasses with a stable machine `code` and a translated message; the API exception
handler turns them into `{"code", "detail", "fields"}` with the status the subclass names, and HTML
views show the message.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    code = "error"
    status_code = 400
    default_message: Any = ""

    def __init__(self, message: Any = None, *, code: str | None = None, fields: dict | None = None):
        self.message = message if message is not None else self.default_message
        if code is not None:
            self.code = code
        self.fields = fields or {}
        super().__init__(str(self.message))


class ConflictError(ApplicationError):
    """The request is well formed but conflicts with the current state (HTTP 409)."""

    code = "conflict"
    status_code = 409
