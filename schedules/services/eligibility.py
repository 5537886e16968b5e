"""Who may book which service on a session date.

The rules are the service requests' (`service_request_eligibility_error`, which applies the age rules
of registrations.eligibility and the registry's milestones): a booking is refused exactly when the
request it opens at check-in would be. Only the wording is ours: the booking form speaks to the
citizen ("you"), the staff workflow about "the citizen".
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from registrations.exceptions import NotEligibleError
from registrations.services import service_requests as rules

CITIZEN_MESSAGES = {
    rules.MSG_TOO_YOUNG_RECORDING: _(
        "Recording is possible from age 16 (or earlier if married). You will not be 16 yet on the date "
        "of this session."
    ),
    rules.MSG_TOO_YOUNG_CARD: _(
        "Printing and IKD activation are possible from age 17 (or earlier if married). You will not be "
        "17 yet on the date of this session; you can book recording."
    ),
    rules.MSG_NOT_RECORDED: _(
        "Printing and IKD activation need a completed e-KTP recording. Book recording first."
    ),
    rules.MSG_ALREADY_RECORDED: _(
        "Your e-KTP recording is already complete. Book printing or IKD activation, or choose the "
        "reason “change of data” to record again."
    ),
    rules.MSG_ALREADY_PRINTED: _(
        "Your e-KTP has already been printed. For a new card choose the reason damaged, lost or change "
        "of data."
    ),
    rules.MSG_ALREADY_ACTIVATED: _("Your IKD is already active. Choose the reason lost or change of data."),
}


def booking_eligibility_check(*, citizen, service: str, reason: str, on: dt.date) -> None:
    """Raise NotEligibleError (code `not_eligible`, the rule as message) unless `citizen` may get
    `service` for `reason` at a session on `on`."""
    error = rules.service_request_eligibility_error(citizen=citizen, service=service, reason=reason, on=on)
    if error is not None:
        raise NotEligibleError(CITIZEN_MESSAGES.get(error.message, error.message))
