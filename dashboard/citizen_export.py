"""The rows of the citizens export: the filtered list, streamed from a server-side cursor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exports import CHUNK_SIZE
from registrations.eligibility import age_on
from registrations.nik import mask_nik

CITIZEN_EXPORT_LABELS = (
    gettext_lazy("NIK"),
    gettext_lazy("full name"),
    gettext_lazy("sex"),
    gettext_lazy("age"),
    gettext_lazy("desa code"),
    gettext_lazy("desa"),
    gettext_lazy("kecamatan"),
    gettext_lazy("school"),
    gettext_lazy("recorded on"),
    gettext_lazy("printed on"),
    gettext_lazy("IKD activated on"),
    gettext_lazy("resident status"),
)


def _day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


def citizen_export_rows(queryset: QuerySet, *, full_nik: bool, today: dt.date) -> Iterator[tuple]:
    """Rows of CITIZEN_EXPORT_LABELS for `queryset` (already scoped and filtered), by name. Only
    the needed columns are read, CHUNK_SIZE rows per round trip. NIKs masked unless `full_nik`."""
    rows = queryset.order_by("full_name", "id").values_list(
        "nik",
        "full_name",
        "sex",
        "birth_date",
        "desa_id",
        "desa__name",
        "desa__kecamatan__name",
        "school",
        "recorded_at",
        "printed_at",
        "ikd_activated_at",
        "deceased",
        "moved_out",
    )
    living, deceased, moved_out = _("living resident"), _("deceased"), _("moved out")
    for (
        nik,
        name,
        sex,
        birth_date,
        desa_code,
        desa,
        kecamatan,
        school,
        recorded_at,
        printed_at,
        ikd_at,
        is_deceased,
        is_moved_out,
    ) in rows.iterator(chunk_size=CHUNK_SIZE):
        yield (
            nik if full_nik else mask_nik(nik),
            name,
            sex,
            age_on(birth_date, today),
            desa_code,
            desa,
            kecamatan,
            school,
            _day(recorded_at),
            _day(printed_at),
            _day(ikd_at),
            deceased if is_deceased else moved_out if is_moved_out else living,
        )
