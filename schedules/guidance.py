"""What a citizen brings to a session, by service and reason (domain docs: reasons for a card)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from schedules.models import Reason, Service

_BY_REASON = {
    Reason.NEW: _("A copy of your family card (KK)."),
    Reason.DAMAGED: _("Your damaged e-KTP."),
    Reason.LOST: _("The police report of the loss (surat keterangan kehilangan)."),
    Reason.DATA_CHANGE: _("Your old e-KTP and the documents of the change (e.g. marriage certificate)."),
}
_BY_SERVICE = {
    Service.RECORDING: _("Come in person: a photo, fingerprints, iris scan and signature are taken."),
    Service.PRINTING: _("Come in person to collect and sign for your card."),
    Service.IKD_ACTIVATION: _(
        "A smartphone with the IKD app installed, an active e-mail address and phone number, and your e-KTP."
    ),
}


def what_to_bring(service: str, reason: str) -> list:
    """The list shown on the confirmation page and in reminders (lazy, translated when rendered)."""
    items = [_("This booking code (on screen or printed).")]
    if reason in _BY_REASON:
        items.append(_BY_REASON[reason])
    if service in _BY_SERVICE:
        items.append(_BY_SERVICE[service])
    items.append(_("All services are free of charge."))
    return items
