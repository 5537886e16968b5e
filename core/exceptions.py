"""The one base class of domain errors.

Services raise subclasses with a stable machine `code` and a translated message; the API exception
handler turns them into `{"code", "detail", "fields"}` with the status the subclass names, and HTML
views show the message.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


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


class NotPermittedError(ApplicationError):
    """The actor's role or kecamatan does not allow this write (HTTP 403, the API's code for it)."""

    code = "permission_denied"
    status_code = 403
    default_message = _("You do not have permission.")


class NotFoundError(ApplicationError):
    """The object is outside the actor's kecamatan: to them it does not exist (HTTP 404), the same
    answer the scoped pages and API give when they look it up."""

    code = "not_found"
    status_code = 404
    default_message = _("Not found.")
