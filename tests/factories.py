"""Factories for every app's models. Valid NIKs are built from the birth date and sex."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from blanks.models import StockLocation, StockMovement
from blanks.services import blank_receive
from kudus_capil import api_urls  # noqa: F401  (importing the URLs registers every viewset)
from regions.models import Desa, Kecamatan
from registrations.coverage import coverage_recompute
from registrations.models import Citizen, CoverageRun, CoverageSnapshot, ServiceRequest
from registrations.nik import encode_nik
from registrations.services.service_requests import service_request_create
from schedules.models import Appointment, OutreachSeries, OutreachSession, QueueTicket, Slot
from schedules.services import appointment_book, series_create
from tests.helpers import JATI, KALIWUNGU

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


# --- schedules ---------------------------------------------------------------------------------


class OutreachSessionFactory(factory.django.DjangoModelFactory):
    """A session with its slots, made by the real service (slot generation included)."""

    class Meta:
        model = "schedules.OutreachSession"

    kind = "kecamatan"
    title = factory.Sequence(lambda n: f"Pelayanan Kecamatan {n}")
    venue_name = "Kantor Kecamatan Kaliwungu"
    kecamatan = "33.19.01"
    date = factory.LazyFunction(lambda: _localdate() + dt.timedelta(days=3))
    start_time = dt.time(8, 0)
    end_time = dt.time(11, 0)
    services = ("recording", "printing", "ikd_activation")
    desks = 2
    slot_minutes = 15
    slot_capacity = None
    published = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from schedules.services import session_create

        kwargs["services"] = list(kwargs["services"])
        return session_create(**kwargs)


def _localdate() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def citizen_aged(years: int, *, on: dt.date, days_after_birthday: int = 0, **kwargs):
    """A citizen who turns `years` exactly `days_after_birthday` days before `on` (negative: after)."""
    from registrations.eligibility import anniversary

    birthday = on - dt.timedelta(days=days_after_birthday)
    birth_date = birthday.replace(year=birthday.year - years)
    assert anniversary(birth_date, years) == birthday
    return CitizenFactory(birth_date=birth_date, **kwargs)


# --- Service requests and blank stock (issue #3) ---------------------------------------------


def staff_user(*roles: str, kecamatan: tuple[str, ...] = (), **fields):
    """A staff user in the given role groups, assigned to the given kecamatan codes."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from core.models import StaffAssignment

    # No password (API tests authenticate directly): hashing one costs ~0.5 s per user.
    fields.setdefault("username", f"staff-{get_user_model().objects.count() + 1}-{'-'.join(roles) or 'none'}")
    user = get_user_model().objects.create(is_staff=True, **fields)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if kecamatan:
        assignment, _ = StaffAssignment.objects.get_or_create(user=user)
        assignment.kecamatan.set(kecamatan)
    return user


class StockLocationFactory(factory.django.DjangoModelFactory):
    """A stock location with its balance row (created through the service)."""

    class Meta:
        model = "blanks.StockLocation"

    code = factory.Sequence(lambda n: f"LOC-{n}")
    name = factory.Sequence(lambda n: f"Lokasi {n}")
    kind = "kecamatan_office"
    kecamatan = None
    low_stock_threshold = 0
    min_days_of_cover = 3

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from blanks.services import stock_location_create

        return stock_location_create(**kwargs)


def stocked_location(quantity: int, **fields):
    """A location holding `quantity` blanks (one receipt)."""
    from blanks.services import blank_receive

    location = StockLocationFactory(**fields)
    if quantity:
        blank_receive(location=location, quantity=quantity, reference=f"INIT-{location.code}")
    return location


def printable_citizen(**fields) -> Citizen:
    """An adult with a completed recording and no printed card: may ask for printing."""
    fields.setdefault("birth_date", dt.date(2000, 5, 17))
    fields.setdefault("recorded_at", dt.datetime(2020, 1, 6, 2, 0, tzinfo=dt.UTC))
    return CitizenFactory(**fields)


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


# --- Staff dashboard: overview, targets, exports (issue #6) ----------------------------------
def coverage_run_with(
    *,
    reference_date: dt.date = dt.date(2024, 2, 2),
    computed_at: dt.datetime | None = None,
    kabupaten: tuple[int, int] = (643_069, 641_171),
    kecamatan: dict[str, tuple[int, int]] | None = None,
    pemula: tuple[int, int] = (40_000, 38_500),
    age_16: tuple[int, int] = (12_000, 3_000),
    recorded_recent: int = 0,
) -> CoverageRun:
    """A complete snapshot set written by hand: (wajib KTP, recorded) for the kabupaten, each given
    kecamatan and the cohorts (kecamatan cohorts and desa rows are left out unless given)."""
    run = CoverageRunFactory(
        reference_date=reference_date,
        **({"computed_at": computed_at} if computed_at else {}),
    )
    rows = [("kabupaten", "33.19", "", "all", kabupaten, recorded_recent)]
    rows += [("kabupaten", "33.19", "", "pemula", pemula, 0), ("kabupaten", "33.19", "", "age_16", age_16, 0)]
    for code, figures in (kecamatan or {}).items():
        rows.append(("kecamatan", code, "33.19", "all", figures, 0))
    CoverageSnapshot.objects.bulk_create(
        CoverageSnapshot(
            run=run,
            computed_at=run.computed_at,
            reference_date=run.reference_date,
            level=level,
            area_code=code,
            parent_code=parent,
            cohort=cohort,
            wajib_ktp=wajib,
            recorded=recorded,
            unrecorded=wajib - recorded,
            printed=0,
            ikd_activated=0,
            recorded_recent=min(recent, recorded),
        )
        for level, code, parent, cohort, (wajib, recorded), recent in rows
    )
    return run


def kecamatan_world() -> dict[str, dict]:
    """One object of every kind in kecamatan A and in kecamatan B (regions loaded); the
    production-mode stage seeds its database with it too (tests/deployed/seed.py)."""
    today = timezone.localdate()
    booker = staff_user("admin", username="matrix-booker")
    objects = {}
    for code, marker in ((KALIWUNGU, "ZZA"), (JATI, "ZZB")):
        kecamatan = Kecamatan.objects.get(code=code)
        desa = Desa.objects.filter(kecamatan=kecamatan).order_by("code").first()
        area6 = code.replace(".", "")
        citizen = CitizenFactory(full_name=f"Warga {marker}", desa=desa, area6=area6, school=f"SMA {marker}")
        other = CitizenFactory(full_name=f"Pemohon {marker}", desa=desa, area6=area6, school=f"SMA {marker}")
        session = OutreachSessionFactory(
            kecamatan=code, title=f"Sesi {marker}", venue_name=f"Balai {marker}",
            date=today + dt.timedelta(days=3), published=False,
        )  # fmt: skip
        series = series_create(
            kind="kecamatan", title=f"Seri {marker}", venue_name=f"Balai {marker}", kecamatan=code,
            start_date=today + dt.timedelta(days=5), end_date=today + dt.timedelta(days=6),
            weekdays=list(range(7)), start_time=dt.time(8), end_time=dt.time(9), services=["recording"],
        )  # fmt: skip
        slot = session.slots.order_by("starts_at").first()
        appointment = appointment_book(
            slot=slot, citizen=citizen, service="recording", reason="new", actor=booker
        ).appointment
        request = service_request_create(
            citizen=other, service="recording", reason="new", channel="kecamatan", notes=f"Catatan {marker}"
        )
        visit = QueueTicket.objects.create(
            session=session, number=1, citizen=other, service="recording", service_request=request,
            issued_at=timezone.now(),
        )  # fmt: skip
        visit.service_requests.add(request)
        location = StockLocationFactory(code=f"LOC-{marker}", name=f"Gudang {marker}", kecamatan=kecamatan)
        movement = blank_receive(location=location, quantity=10, reference=f"REF-{marker}")
        objects[code] = {
            Citizen: citizen,
            OutreachSession: session,
            OutreachSeries: series,
            Slot: slot,
            Appointment: appointment,
            QueueTicket: visit,
            ServiceRequest: request,
            StockLocation: location,
            StockMovement: movement,
            Kecamatan: kecamatan,
        }
    coverage_recompute()  # the coverage pages and targets read the latest snapshot
    return objects


def hostile_world() -> dict:
    """Two sessions, a citizen who may book and a booking to manage (regions loaded); the
    production-mode stage seeds its database with it too (tests/deployed/seed.py)."""
    today = timezone.localdate()
    session = OutreachSessionFactory(date=today + dt.timedelta(days=3), slot_capacity=5)
    other = OutreachSessionFactory(date=today + dt.timedelta(days=4), slot_capacity=5)
    citizen, booker = citizen_aged(20, on=today), citizen_aged(30, on=today)
    slot = session.slots.order_by("starts_at").first()
    booked = appointment_book(
        slot=other.slots.order_by("starts_at").first(), citizen=booker, service="recording", reason="new"
    )
    coverage_recompute()  # the public coverage endpoints read the latest snapshot
    return {
        "citizen": citizen,
        "session": session,
        "slot": slot,
        "new_slot": session.slots.order_by("starts_at")[1],
        "code": booked.appointment.code,
        "token": booked.manage_token,
    }
