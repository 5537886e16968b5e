"""Who may book which service on a session date: the age rules of registrations.eligibility plus
what the registry says the citizen has already done."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from registrations.eligibility import may_print, may_record, person_of
from schedules.exceptions import NotEligibleError
from schedules.models import Reason, Service

MESSAGES = {
    "too_young_recording": _(
        "Recording is possible from age 16 (or earlier if married). You will not be 16 yet on the date "
        "of this session."
    ),
    "too_young_printing": _(
        "Printing and IKD activation are possible from age 17 (or earlier if married). You will not be "
        "17 yet on the date of this session; you can book recording."
    ),
    "needs_recording": _(
        "Printing and IKD activation need a completed e-KTP recording. Book recording first."
    ),
    "already_recorded": _(
        "Your e-KTP recording is already complete. Book printing or IKD activation, or choose the reason "
        "“change of data” to record again."
    ),
    "already_printed": _(
        "Your e-KTP has already been printed. For a new card choose the reason damaged, lost or change "
        "of data."
    ),
    "ikd_active": _("Your IKD (digital identity) is already active."),
}


def booking_eligibility_check(*, citizen, service: str, reason: str, on: dt.date) -> None:
    """Raise NotEligibleError (with the specific rule as message) unless `citizen` may get `service`
    for `reason` at a session on `on`."""
    person = person_of(citizen)
    if service == Service.RECORDING:
        if not may_record(person, on):
            raise NotEligibleError(MESSAGES["too_young_recording"])
        if citizen.recorded_at is not None and reason == Reason.NEW:
            raise NotEligibleError(MESSAGES["already_recorded"])
        return
    if not may_print(person, on):
        raise NotEligibleError(MESSAGES["too_young_printing"])
    if citizen.recorded_at is None:
        raise NotEligibleError(MESSAGES["needs_recording"])
    if service == Service.PRINTING and citizen.printed_at is not None and reason == Reason.NEW:
        raise NotEligibleError(MESSAGES["already_printed"])
    if service == Service.IKD and citizen.ikd_activated_at is not None:
        raise NotEligibleError(MESSAGES["ikd_active"])
