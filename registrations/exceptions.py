"""Domain errors of the registrations app (stable codes; messages are translated)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError, ConflictError


class NotEligibleError(ApplicationError):
    """The citizen may not have this service (age, state, an earlier milestone)."""

    code = "not_eligible"
    status_code = 400
    default_message = _("The citizen is not eligible for this service.")


class AlreadyOpenError(ConflictError):
    code = "already_open"
    default_message = _("The citizen already has an open request for this service.")


class IllegalTransitionError(ConflictError):
    code = "illegal_transition"
    default_message = _("This change of status is not allowed.")


class ReasonRequiredError(ApplicationError):
    code = "reason_required"
    status_code = 400
    default_message = _("A reason is required.")


class LocationRequiredError(ApplicationError):
    code = "location_required"
    status_code = 400
    default_message = _("Printing needs the stock location that serves it.")


class IdentityMismatchError(ApplicationError):
    # One answer, whatever went wrong: an unknown NIK, another KK number, a resident no longer
    # registered, or a NIK locked after failed checks. The public must not learn which NIKs exist nor
    # anything about a resident before proving to be them (issue 13).
    code = "identity_mismatch"
    status_code = 400
    default_message = _(
        "We could not verify this NIK and family card (KK) number. Check both against your family card; "
        "if they are correct, please visit the Disdukcapil office."
    )


class CorrectionInvalidError(ApplicationError):
    """A correction request names no known field, or not the change asked for."""

    code = "correction_invalid"
    status_code = 400
    default_message = _("Say which data is to be corrected and what it should be.")
