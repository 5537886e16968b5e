"""The targets page: the coverage engine's ranked desa and schools, each with the link that plans a
jemput-bola session there (the sessions form reads `kind`, `kecamatan` and `venue`)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regions.models import Desa
from registrations.coverage_selectors import service_targets
from schedules.models import SessionKind

# The session form of the dashboard (sessions pages); it prefills itself from these parameters.
SESSION_NEW_PATH = "/dashboard/sessions/new/"

# Header labels of the unrecorded-residents export, in the order of coverage_export_rows' columns.
TARGET_EXPORT_LABELS = (
    gettext_lazy("NIK"),
    gettext_lazy("full name"),
    gettext_lazy("sex"),
    gettext_lazy("age"),
    gettext_lazy("first-time voter"),
    gettext_lazy("desa code"),
    gettext_lazy("desa"),
    gettext_lazy("kecamatan"),
    gettext_lazy("address"),
    gettext_lazy("school"),
)


def plan_session_url(
    *, kind: str, kecamatan: str | None, venue: str, services: list[str] | None = None
) -> str:
    params = {"kind": kind, "venue": venue}
    if kecamatan:
        params["kecamatan"] = kecamatan
    if services:
        params["services"] = ",".join(services)
    return f"{SESSION_NEW_PATH}?{urlencode(params)}"


def desa_venue(name: str, kind: str) -> str:
    if kind == Desa.Kind.KELURAHAN:
        return _("Kelurahan %(name)s office") % {"name": name}
    return _("Balai Desa %(name)s") % {"name": name}


def targets_for_planning(
    *,
    user,
    limit: int = 20,
    kecamatan: str | None = None,
    measure: str = "recording",
    until: dt.date | None = None,
) -> dict:
    """`service_targets` (scoped to the user; Http404 for a kecamatan outside it) with a `plan_url`
    on every desa and school, prefilled with the services needed there. `until` defaults to the
    election date. Raises CoverageNotComputedError before the first run."""
    data = service_targets(
        user=user, measure=measure, until=until or settings.ELECTION_DATE, limit=limit, kecamatan=kecamatan
    )
    kinds = dict(Desa.objects.filter(code__in=[d["code"] for d in data["desa"]]).values_list("code", "kind"))
    for row in data["desa"]:
        row["plan_url"] = plan_session_url(
            kind=SessionKind.OTHER,
            kecamatan=row["kecamatan_code"],
            venue=desa_venue(row["name"], kinds.get(row["code"], Desa.Kind.DESA)),
            services=row["services"],
        )
    for row in data["schools"]:
        row["plan_url"] = plan_session_url(
            kind=SessionKind.SCHOOL,
            kecamatan=row["kecamatan_code"],
            venue=row["name"],
            services=row["services"],
        )
    return data
