"""Demo sessions: the 4–14 Feb 2024 campaign of the news, plus bookable sessions after `today`.

Campaign (domain docs): the car-free-day booth on Sundays 06:00–09:00 at Alun-alun Simpang Tujuh,
the nine kecamatan offices 08:00–11:00 on weekends and weekdays, "Goes To School" visits 8–14 Feb and
the main office on working days; public holidays (8, 9, 10 and 14 Feb) are skipped. The main office
hours (08:00–14:00) and the schools visited are our demo choices. Idempotent: a series or session
already there (same title and dates) is not created again.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from regions.models import Kecamatan
from schedules.holidays import is_day_off
from schedules.models import OutreachSeries, OutreachSession
from schedules.services import series_create, session_create

CAMPAIGN_START = dt.date(2024, 2, 4)
CAMPAIGN_END = dt.date(2024, 2, 14)
ALL_SERVICES = ["recording", "printing", "ikd_activation"]
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
WORKING_DAYS = [0, 1, 2, 3, 4]
CFD_VENUE = "Alun-alun Simpang Tujuh Kudus"
KOTA_KUDUS = "33.19.02"
MAIN_OFFICE = "Kantor Disdukcapil Kabupaten Kudus"
# (school, kecamatan code): a few schools of the demo population, one per area.
SCHOOLS = (
    ("SMA Negeri 1 Kudus", "33.19.02"),
    ("SMK Negeri 1 Kudus", "33.19.02"),
    ("SMA Negeri 1 Bae", "33.19.07"),
    ("SMA Negeri 1 Gebog", "33.19.08"),
    ("SMA Negeri 1 Jekulo", "33.19.06"),
    ("MA Negeri 2 Kudus", "33.19.03"),
)


def _series(*, title: str, start_date: dt.date, end_date: dt.date, **fields) -> int:
    if OutreachSeries.objects.filter(title=title, start_date=start_date, end_date=end_date).exists():
        return 0
    return series_create(title=title, start_date=start_date, end_date=end_date, **fields).sessions.count()


def _session(*, title: str, date: dt.date, start_time: dt.time, **fields) -> int:
    if OutreachSession.objects.filter(title=title, date=date, start_time=start_time).exists():
        return 0
    if is_day_off(date):
        return 0
    session_create(title=title, date=date, start_time=start_time, **fields)
    return 1


def _campaign() -> int:
    created = _series(
        kind="cfd",
        title="Car Free Day Simpang Tujuh",
        venue_name=CFD_VENUE,
        kecamatan=KOTA_KUDUS,
        start_date=CAMPAIGN_START,
        end_date=CAMPAIGN_END,
        weekdays=[6],
        start_time=dt.time(6),
        end_time=dt.time(9),
        services=ALL_SERVICES,
        desks=4,
        notes="Jemput bola di car free day: perekaman, pencetakan dan aktivasi IKD.",
    )
    for kecamatan in Kecamatan.objects.filter(code__startswith="33.19.").order_by("code"):
        created += _series(
            kind="kecamatan",
            title=f"Pelayanan Kecamatan {kecamatan.name}",
            venue_name=f"Kantor Kecamatan {kecamatan.name}",
            kecamatan=kecamatan,
            start_date=CAMPAIGN_START,
            end_date=CAMPAIGN_END,
            weekdays=EVERY_DAY,
            start_time=dt.time(8),
            end_time=dt.time(11),
            services=ALL_SERVICES,
            desks=2,
        )
    for school, kecamatan in SCHOOLS:
        created += _series(
            kind="school",
            title=f"Goes To School: {school}",
            venue_name=school,
            kecamatan=kecamatan,
            start_date=dt.date(2024, 2, 8),
            end_date=CAMPAIGN_END,
            weekdays=WORKING_DAYS,
            start_time=dt.time(8),
            end_time=dt.time(12),
            services=["recording"],
            desks=2,
            notes="Perekaman KTP-el untuk siswa yang berusia 16 tahun atau lebih (pemilih pemula).",
        )
    created += _series(
        kind="office",
        title="Kantor Disdukcapil",
        venue_name=MAIN_OFFICE,
        kecamatan=KOTA_KUDUS,
        start_date=CAMPAIGN_START,
        end_date=CAMPAIGN_END,
        weekdays=WORKING_DAYS,
        start_time=dt.time(8),
        end_time=dt.time(14),
        services=ALL_SERVICES,
        desks=4,
    )
    return created


def _upcoming(today: dt.date) -> int:
    created = 0
    days = [today + dt.timedelta(days=offset) for offset in range(0, 22)]
    sundays = [day for day in days if day.weekday() == 6][:3]
    for day in sundays:
        created += _session(
            kind="cfd",
            title="Car Free Day Simpang Tujuh",
            venue_name=CFD_VENUE,
            kecamatan=KOTA_KUDUS,
            date=day,
            start_time=dt.time(6),
            end_time=dt.time(9),
            services=ALL_SERVICES,
            desks=4,
        )
    weekend = [day for day in days if day.weekday() in (5, 6)][:4]
    for code in ("33.19.01", "33.19.03", "33.19.09"):
        kecamatan = Kecamatan.objects.filter(code=code).first()
        if kecamatan is None:
            continue
        for day in weekend:
            created += _session(
                kind="kecamatan",
                title=f"Pelayanan Kecamatan {kecamatan.name}",
                venue_name=f"Kantor Kecamatan {kecamatan.name}",
                kecamatan=kecamatan,
                date=day,
                start_time=dt.time(8),
                end_time=dt.time(11),
                services=ALL_SERVICES,
                desks=2,
            )
    working = [day for day in days if day.weekday() < 5][:10]
    for day in working:
        created += _session(
            kind="office",
            title="Kantor Disdukcapil",
            venue_name=MAIN_OFFICE,
            kecamatan=KOTA_KUDUS,
            date=day,
            start_time=dt.time(8),
            end_time=dt.time(14),
            services=ALL_SERVICES,
            desks=4,
        )
    return created


@transaction.atomic
def schedules_demo_seed(*, today: dt.date) -> str:
    """Create the campaign's sessions and bookable ones in the three weeks from `today`; idempotent.
    Returns a one-line summary."""
    campaign = _campaign()
    upcoming = _upcoming(today)
    total = OutreachSession.objects.count()
    return (
        f"Sessions: {campaign} created for the 4–14 Feb 2024 campaign, {upcoming} created from {today} on "
        f"({total} in all)."
    )
