"""Correction requests (UU 27/2022 Art. 6, the right to have one's data corrected): staff record
what a resident asks to be corrected as a service request of the service `correction`, which then
goes through the one workflow (start, complete, cancel, reject: service_requests.py). The register
itself is corrected in the civil registry (SIAK), the source of `import_citizens`; completing the
request records that it was done."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from registrations.exceptions import CorrectionInvalidError
from registrations.models import Citizen, ServiceRequest
from registrations.services.service_requests import service_request_create

# What a resident may ask to be corrected (the register's fields a resident can know are wrong).
CORRECTABLE_FIELDS = {
    "full_name": _("full name"),
    "sex": _("sex"),
    "birth_place": _("birth place"),
    "birth_date": _("birth date"),
    "marital_status": _("marital status"),
    "address": _("address"),
    "desa": _("desa"),
    "kk": _("KK number"),
    "phone": _("phone"),
    "email": _("e-mail"),
    "other": _("other"),
}
REQUESTED_MAX_LENGTH = 500


def correction_request_create(
    *,
    citizen: Citizen,
    field: str,
    requested: str,
    actor,
    channel: str = ServiceRequest.Channel.OFFICE,
    now: dt.datetime | None = None,
) -> ServiceRequest:
    """Record the resident's request to correct `field` to `requested`: a `correction` service
    request (reason `data_change`) whose notes say what is to change. Raises CorrectionInvalidError
    (unknown field, empty or too long a change), AlreadyOpenError (one open correction at a time:
    add to it instead), NotPermittedError / NotFoundError (who: service_requests.py)."""
    requested = (requested or "").strip()
    if field not in CORRECTABLE_FIELDS:
        raise CorrectionInvalidError(fields={"field": [CorrectionInvalidError.default_message]})
    if not requested or len(requested) > REQUESTED_MAX_LENGTH:
        raise CorrectionInvalidError(fields={"requested": [CorrectionInvalidError.default_message]})
    with translation.override(settings.LANGUAGE_CODE):  # the notes are read by the office
        notes = f"{CORRECTABLE_FIELDS[field]}: {requested}"
    return service_request_create(
        citizen=citizen,
        service=ServiceRequest.Service.CORRECTION,
        reason=ServiceRequest.Reason.DATA_CHANGE,
        channel=channel,
        actor=actor,
        notes=notes,
        now=now,
        event_detail={"correction": {"field": field, "requested": requested}},
    )
