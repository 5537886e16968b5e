"""The privacy notice (UU 27/2022 Pelindungan Data Pribadi): what the portal collects from residents,
why, how long it keeps it — the periods of the retention purgers that actually run, read from their
settings (core.retention) —, who the controller is, how to reach its data-protection officer, and
the rights of Articles 5–13. Public, in Indonesian and English (the site's language switch)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from core.retention import retention_periods


def _retention_text(name: str, days: int) -> str:
    """What one retention purger erases and after how long (the number comes from its setting)."""
    if name == "appointment_contacts":
        text = ngettext(
            "The mobile number and e-mail address given with a booking are erased %(days)s day after "
            "the session; the booking itself stays, without them.",
            "The mobile number and e-mail address given with a booking are erased %(days)s days after "
            "the session; the booking itself stays, without them.",
            days,
        )
    elif name == "audit_log":
        text = ngettext(
            "The access log (which staff member saw, exported or changed a record, when and why) and "
            "the record of failed identity checks are deleted after %(days)s day.",
            "The access log (which staff member saw, exported or changed a record, when and why) and "
            "the record of failed identity checks are deleted after %(days)s days.",
            days,
        )
    elif name == "login_records":
        text = ngettext(
            "Staff login records are deleted after %(days)s day.",
            "Staff login records are deleted after %(days)s days.",
            days,
        )
    else:
        text = ngettext(
            "Other records (%(name)s) are deleted after %(days)s day.",
            "Other records (%(name)s) are deleted after %(days)s days.",
            days,
        )
    return text % {"days": days, "name": name}


@require_GET
def privacy_notice(request):
    retention = [
        {"name": name, "days": days, "text": _retention_text(name, days)}
        for name, days in retention_periods().items()
    ]
    context = {
        "retention": retention,
        "controller": _("Dinas Kependudukan dan Pencatatan Sipil (Disdukcapil) Kabupaten Kudus"),
        "controller_contact": settings.PRIVACY_CONTROLLER_CONTACT,
        "dpo_contact": settings.PRIVACY_DPO_CONTACT,
        "manage_link_days": settings.SCHEDULES_MANAGE_LINK_MAX_DAYS,
    }
    return render(request, "core/privacy.html", context)
