"""A small world for the API tests: the same objects in two kecamatan (Kaliwungu 33.19.01 and
Jati 33.19.03), so scoping can be checked on every endpoint, and a coverage run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache

from regions.models import Kecamatan
from registrations.coverage import coverage_recompute
from registrations.services.service_requests import service_request_create
from schedules import services as schedule_services
from tests.factories import OutreachSessionFactory, printable_citizen, stocked_location
from tests.helpers import JATI, KALIWUNGU

DESA = {KALIWUNGU: "33.19.01.2001", JATI: "33.19.03.2001"}
AREA6 = {KALIWUNGU: "331901", JATI: "331903"}


@dataclass
class Area:
    """The objects of one kecamatan, one of each kind the API serves."""

    kecamatan: str
    citizen: object = None
    session: object = None
    series: object = None
    appointment: object = None
    manage_token: str = ""
    service_request: object = None
    location: object = None
    movement: object = None
    extra: dict = field(default_factory=dict)


def _area(kecamatan: str) -> Area:
    from schedules.services import series_create

    area = Area(kecamatan)
    area.citizen = printable_citizen(desa_id=DESA[kecamatan], area6=AREA6[kecamatan])
    area.session = OutreachSessionFactory(kecamatan=kecamatan, venue_name=f"Balai {kecamatan}")
    start = area.session.date
    area.series = series_create(
        kind="kecamatan", title=f"Rutin {kecamatan}", venue_name="Kantor Kecamatan", kecamatan=kecamatan,
        start_date=start + dt.timedelta(days=7), end_date=start + dt.timedelta(days=8),
        weekdays=list(range(7)), skip_holidays=False, start_time=dt.time(8, 0), end_time=dt.time(9, 0),
        services=["recording"],
    )  # fmt: skip
    slot = area.session.slots.order_by("starts_at").first()
    booked = schedule_services.appointment_book(
        slot=slot, citizen=area.citizen, service="printing", reason="new", phone="081234567890"
    )
    area.appointment, area.manage_token = booked.appointment, booked.manage_token
    area.location = stocked_location(
        20, code=f"KEC-{kecamatan[-2:]}", kecamatan=Kecamatan.objects.get(code=kecamatan)
    )
    area.movement = area.location.movements.first()
    other = printable_citizen(desa_id=DESA[kecamatan], area6=AREA6[kecamatan])
    area.service_request = service_request_create(
        citizen=other, service="printing", reason="new", channel="kecamatan", location=area.location
    )
    return area


@dataclass
class World:
    mine: Area  # Kaliwungu: the scoped operator's kecamatan
    other: Area  # Jati: out of the operator's scope


@pytest.fixture
def world(regions) -> World:
    cache.clear()
    world = World(mine=_area(KALIWUNGU), other=_area(JATI))
    coverage_recompute()
    return world
