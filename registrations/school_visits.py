"""The school visit planner: the students of a school who will be old enough on the visit day and
are not yet served (recording from 16, printing and IKD from 17; married residents at any age),
with the services each one needs. One indexed query (school, case-insensitive) per list.

The registry has no class (kelas) of a student: the import header has `school` only. The list is
ordered, and the planner groups it, by birth year (oldest first, then by name), which is how a
school's year groups fall (kelas X, XI, XII are in the main three consecutive birth years)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import ExtractYear, Upper

from registrations.eligibility import RECORDING_AGE, WAJIB_KTP_AGE, age_cutoff, age_on
from registrations.models import Citizen
from registrations.nik import mask_nik
from registrations.selectors import citizens_visible_to


@dataclass(frozen=True)
class Student:
    citizen_id: int
    nik: str  # masked unless the caller may see full NIKs
    full_name: str
    sex: str
    age: int  # on the visit day
    birth_year: int  # the group the list is printed in (the registry has no class)
    desa: str
    kecamatan: str  # code
    services: tuple[str, ...]  # recording, printing, ikd_activation


def school_visit_students(*, user, school: str, visit_date: dt.date, full_nik: bool) -> list[Student]:
    """The students of `school` (scoped to the user's kecamatan) aged 16 or more on `visit_date`
    (or ever married) who still need a service then, by birth year and name."""
    record_by = age_cutoff(visit_date, RECORDING_AGE)
    wajib_by = age_cutoff(visit_date, WAJIB_KTP_AGE)
    married = ~Q(marital_status=Citizen.MaritalStatus.BELUM_KAWIN)
    residents = (
        citizens_visible_to(user)
        .annotate(school_upper=Upper("school"))
        .filter(school_upper=school.strip().upper(), deceased=False, moved_out=False)
        .filter(married | Q(birth_date__lte=record_by))
        .filter(Q(recorded_at__isnull=True) | Q(printed_at__isnull=True) | Q(ikd_activated_at__isnull=True))
        .order_by(ExtractYear("birth_date"), "full_name", "id")
        .values_list(
            "id",
            "nik",
            "full_name",
            "sex",
            "birth_date",
            "marital_status",
            "desa__name",
            "desa__kecamatan_id",
            "recorded_at",
            "printed_at",
            "ikd_activated_at",
        )
    )
    students = []
    for pk, nik, name, sex, born, marital, desa, kecamatan, recorded, printed, ikd in residents:
        wajib = marital != Citizen.MaritalStatus.BELUM_KAWIN or born <= wajib_by
        services = []
        if recorded is None:
            services.append("recording")
        if wajib and printed is None:
            services.append("printing")
        if wajib and ikd is None:
            services.append("ikd_activation")
        if services:
            students.append(
                Student(
                    citizen_id=pk,
                    nik=nik if full_nik else mask_nik(nik),
                    full_name=name,
                    sex=sex,
                    age=age_on(born, visit_date),
                    birth_year=born.year,
                    desa=desa,
                    kecamatan=kecamatan,
                    services=tuple(services),
                )
            )
    return students
