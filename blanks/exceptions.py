"""Domain errors of the blanks app (stable codes; messages are translated)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError, ConflictError, NotPermittedError


class OutOfStockError(ConflictError):
    code = "out_of_stock"
    default_message = _("Not enough blanks in stock at this location.")


class ReferenceReusedError(ConflictError):
    """The client reference was already used for a different movement."""

    code = "reference_reused"
    default_message = _("This reference was already used for a different movement.")


class InvalidMovementError(ApplicationError):
    code = "invalid_movement"
    status_code = 400
    default_message = _("This stock movement is not valid.")


class StockPermissionError(NotPermittedError):
    default_message = _("Only an administrator or a supervisor may adjust stock.")
