"""Factories for every app's models. Valid NIKs are built from the birth date and sex."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import factory
from django.contrib.auth import get_user_model

from registrations.models import Citizen, CoverageRun, CoverageSnapshot, Desa
from registrations.nik import encode_nik

# Every NIK a factory made: the run's log is grepped for them at the end (tests/conftest.py).
USED_NIKS: set[str] = set()


def desa(code: str = "33.19.01.2001") -> Desa:
    return Desa.objects.get(code=code)


class CitizenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citizen

    class Params:
        area6 = "331901"

    sex = "L"
    birth_date = dt.date(2000, 5, 17)
    nik = factory.LazyAttributeSequence(
        lambda o, n: encode_nik(area6=o.area6, birth_date=o.birth_date, sex=o.sex, serial=(n % 9999) + 1)
    )
    kk = factory.Sequence(lambda n: f"331901010120{(n % 9999) + 1:04d}")
    full_name = factory.Sequence(lambda n: f"Warga {n}")
    birth_place = "Kudus"
    marital_status = Citizen.MaritalStatus.BELUM_KAWIN
    desa = factory.LazyFunction(lambda: Desa.objects.get(code="33.19.01.2001"))
    address = "RT 01 RW 01"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        USED_NIKS.add(kwargs["nik"])
        return super()._create(model_class, *args, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "test-password-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


# --- Coverage (issue #5) ---------------------------------------------------------------------
class CoverageRunFactory(factory.django.DjangoModelFactory):
    """A run written by hand (projection, history and thinning tests); snapshots are added apart."""

    class Meta:
        model = CoverageRun

    reference_date = dt.date(2024, 2, 2)
    computed_at = factory.LazyAttribute(
        lambda o: dt.datetime.combine(o.reference_date, dt.time(12, 0), zoneinfo.ZoneInfo("Asia/Jakarta"))
    )
    started_at = factory.LazyAttribute(lambda o: o.computed_at)
    recent_days = 14
    election_date = dt.date(2024, 2, 14)
    previous_election_date = dt.date(2019, 4, 17)


class CoverageSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoverageSnapshot

    run = factory.SubFactory(CoverageRunFactory)
    computed_at = factory.LazyAttribute(lambda o: o.run.computed_at)
    reference_date = factory.LazyAttribute(lambda o: o.run.reference_date)
    level = "kabupaten"
    area_code = "33.19"
    parent_code = ""
    cohort = "all"
    wajib_ktp = 100
    recorded = 90
    unrecorded = factory.LazyAttribute(lambda o: o.wajib_ktp - o.recorded)
    printed = 0
    ikd_activated = 0
    recorded_recent = 0
