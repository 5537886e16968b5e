"""Series skip the national days off of every year (the `holidays` package: public holidays and
cuti bersama), with the admin table as local overrides. Dates are the published ones (SKB 3 Menteri
on the 2025, 2026 and 2027 holidays and collective leave)."""

from __future__ import annotations

import datetime as dt

import pytest

from schedules.holidays import holidays_between, national_holidays
from schedules.models import PublicHoliday
from schedules.services import series_create
from schedules.services.sessions import series_dates

WORKING_DAYS = [0, 1, 2, 3, 4]


def weekday_series(start: dt.date, end: dt.date, *, skip_holidays: bool = True, title: str = "Rutin"):
    return series_create(
        kind="kecamatan", title=title, venue_name="Kantor Kecamatan Jati", kecamatan="33.19.03",
        start_date=start, end_date=end, weekdays=WORKING_DAYS, start_time=dt.time(8), end_time=dt.time(9),
        services=["recording"], skip_holidays=skip_holidays,
    )  # fmt: skip


def session_dates(series) -> list[dt.date]:
    return list(series.sessions.order_by("date").values_list("date", flat=True))


def days(year: int, month: int, *numbers: int) -> list[dt.date]:
    return [dt.date(year, month, number) for number in numbers]


def test_a_series_over_lebaran_2025_skips_idul_fitri_and_its_cuti_bersama(regions):
    series = weekday_series(dt.date(2025, 3, 24), dt.date(2025, 4, 11))
    # Fri 28 Mar cuti bersama Nyepi; Mon 31 Mar Idul Fitri, Tue 1 Apr its second day; 2, 3, 4 and
    # 7 Apr cuti bersama Idul Fitri.
    assert session_dates(series) == days(2025, 3, 24, 25, 26, 27) + days(2025, 4, 8, 9, 10, 11)


def test_the_cuti_bersama_days_of_2025_are_days_off(db):
    off = holidays_between(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    cuti_bersama = [
        dt.date(2025, 1, 28),  # Tahun Baru Imlek
        dt.date(2025, 3, 28),  # Nyepi
        dt.date(2025, 4, 2), dt.date(2025, 4, 3), dt.date(2025, 4, 4), dt.date(2025, 4, 7),  # Idul Fitri
        dt.date(2025, 5, 13),  # Waisak
        dt.date(2025, 5, 30),  # Kenaikan Yesus Kristus
        dt.date(2025, 6, 9),  # Idul Adha
        dt.date(2025, 8, 18),  # HUT RI
        dt.date(2025, 12, 26),  # Natal
    ]  # fmt: skip
    assert all(day in off for day in cuti_bersama)
    assert all(off[day].startswith("Cuti Bersama") for day in cuti_bersama)
    assert off[dt.date(2025, 3, 31)] == "Hari Raya Idul Fitri"
    # An ordinary working day is not one.
    assert dt.date(2025, 3, 27) not in off


def test_a_series_over_christmas_2026_and_new_year_2027_skips_them(regions):
    series = weekday_series(dt.date(2026, 12, 21), dt.date(2027, 1, 8))
    # Thu 24 Dec 2026 cuti bersama Natal, Fri 25 Dec Natal, Fri 1 Jan 2027 Tahun Baru Masehi, Tue
    # 5 Jan 2027 Isra Mikraj.
    assert session_dates(series) == (days(2026, 12, 21, 22, 23, 28, 29, 30, 31) + days(2027, 1, 4, 6, 7, 8))


def test_the_2024_campaign_holidays_come_from_the_calendar_too(db):
    PublicHoliday.objects.all().delete()  # without the seeded rows: the package alone
    every_day = list(range(7))
    dates = series_dates(
        start_date=dt.date(2024, 2, 3), end_date=dt.date(2024, 2, 15), weekdays=every_day, skip_holidays=True
    )
    assert dates == days(2024, 2, 3, 4, 5, 6, 7, 11, 12, 13, 15)  # 8, 9, 10 and 14 Feb are off


def test_an_added_day_off_is_skipped_and_a_removed_one_is_worked(regions):
    PublicHoliday.objects.create(date=dt.date(2025, 4, 8), name="Libur daerah")
    PublicHoliday.objects.create(
        date=dt.date(2025, 4, 7), name="Kantor buka", kind=PublicHoliday.Kind.WORKING_DAY
    )
    series = weekday_series(dt.date(2025, 4, 7), dt.date(2025, 4, 11))
    assert session_dates(series) == days(2025, 4, 7, 9, 10, 11)
    assert holidays_between(dt.date(2025, 4, 8), dt.date(2025, 4, 8)) == {dt.date(2025, 4, 8): "Libur daerah"}


def test_a_series_can_keep_every_day_off(regions):
    series = weekday_series(dt.date(2025, 3, 31), dt.date(2025, 4, 4), skip_holidays=False)
    assert session_dates(series) == days(2025, 3, 31) + days(2025, 4, 1, 2, 3, 4)


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027, 2030])
def test_every_year_has_its_national_days_off(year):
    calendar = national_holidays(year)
    assert dt.date(year, 1, 1) in calendar and dt.date(year, 8, 17) in calendar
    assert dt.date(year, 12, 25) in calendar
    assert len(calendar) >= 15
