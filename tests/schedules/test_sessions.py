from __future__ import annotations

import datetime as dt

import pytest

from schedules.exceptions import InvalidSessionError
from schedules.holidays import is_day_off
from schedules.models import OutreachSession, PublicHoliday, Slot
from schedules.services import series_create, session_create
from tests.factories import OutreachSessionFactory

WIB = dt.timezone(dt.timedelta(hours=7))


def cfd(**overrides):
    fields = {
        "kind": "cfd",
        "title": "Car Free Day",
        "venue_name": "Alun-alun Simpang Tujuh",
        "kecamatan": "33.19.02",
        "date": dt.date(2024, 2, 4),
        "start_time": dt.time(6),
        "end_time": dt.time(9),
        "services": ["recording", "printing"],
        "desks": 2,
    }
    return session_create(**{**fields, **overrides})


def test_a_cfd_morning_is_cut_into_twelve_quarter_hour_slots(regions, settings):
    settings.SCHEDULES_PLACES_PER_DESK = 3
    session = cfd()
    slots = list(session.slots.order_by("starts_at"))
    assert len(slots) == 12
    assert slots[0].starts_at == dt.datetime(2024, 2, 4, 6, 0, tzinfo=WIB)
    assert slots[-1].ends_at == dt.datetime(2024, 2, 4, 9, 0, tzinfo=WIB)
    assert {slot.capacity for slot in slots} == {6}  # 2 desks × 3 places per desk
    assert session.services == ["recording", "printing"]


def test_slot_capacity_and_length_can_be_set_and_a_short_remainder_is_not_a_slot(regions):
    session = cfd(start_time=dt.time(8), end_time=dt.time(11, 10), slot_minutes=30, slot_capacity=7)
    slots = list(session.slots.order_by("starts_at"))
    assert [slot.local_start.strftime("%H:%M") for slot in slots] == [
        "08:00",
        "08:30",
        "09:00",
        "09:30",
        "10:00",
        "10:30",
    ]
    assert {slot.capacity for slot in slots} == {7}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end_time": dt.time(6)}, "end_time"),
        ({"services": []}, "services"),
        ({"services": ["passport"]}, "services"),
        ({"desks": 0}, "desks"),
        ({"slot_minutes": 2}, "slot_minutes"),
        ({"end_time": dt.time(6, 10)}, "slot_minutes"),
        ({"kind": "party"}, "kind"),
        ({"kecamatan": "33.19.99"}, "kecamatan"),
    ],
)
def test_a_bad_session_is_refused_with_the_field_named_and_nothing_written(regions, overrides, field):
    with pytest.raises(InvalidSessionError) as caught:
        cfd(**overrides)
    assert field in caught.value.fields
    assert not OutreachSession.objects.exists()
    assert not Slot.objects.exists()


def test_the_2024_holidays_of_the_campaign_are_days_off_with_an_empty_holiday_table(db):
    assert not PublicHoliday.objects.exists()  # the national calendar comes from the holidays package
    campaign = [dt.date(2024, 1, 1), dt.date(2024, 2, 8), dt.date(2024, 2, 9), dt.date(2024, 2, 10)]
    assert all(is_day_off(day) for day in [*campaign, dt.date(2024, 2, 14)])
    assert not is_day_off(dt.date(2024, 2, 7))


def test_a_weekend_series_over_the_campaign_skips_the_holidays(regions):
    series = series_create(
        kind="kecamatan",
        title="Kecamatan Jati",
        venue_name="Kantor Kecamatan Jati",
        kecamatan="33.19.03",
        start_date=dt.date(2024, 2, 3),
        end_date=dt.date(2024, 2, 14),
        weekdays=[5, 6],
        start_time=dt.time(8),
        end_time=dt.time(11),
        services=["recording"],
        skip_holidays=True,
    )
    dates = list(series.sessions.order_by("date").values_list("date", flat=True))
    # Sat 3, Sun 4, (Sat 10 = Imlek skipped), Sun 11
    assert dates == [dt.date(2024, 2, 3), dt.date(2024, 2, 4), dt.date(2024, 2, 11)]
    assert all(session.slots.count() == 12 for session in series.sessions.all())


def test_a_series_can_keep_the_holidays(regions):
    series = series_create(
        kind="school",
        title="Goes To School",
        venue_name="SMA Negeri 1 Kudus",
        kecamatan="33.19.02",
        start_date=dt.date(2024, 2, 8),
        end_date=dt.date(2024, 2, 14),
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        start_time=dt.time(8),
        end_time=dt.time(12),
        services=["recording"],
        skip_holidays=False,
    )
    assert series.sessions.count() == 7


def test_every_sunday_car_free_day_series(regions):
    series = series_create(
        kind="cfd",
        title="CFD",
        venue_name="Alun-alun Simpang Tujuh",
        kecamatan="33.19.02",
        start_date=dt.date(2024, 2, 1),
        end_date=dt.date(2024, 2, 29),
        weekdays=[6],
        start_time=dt.time(6),
        end_time=dt.time(9),
        services=["recording", "printing", "ikd_activation"],
    )
    assert list(series.sessions.values_list("date", flat=True).order_by("date")) == [
        dt.date(2024, 2, 4),
        dt.date(2024, 2, 11),
        dt.date(2024, 2, 18),
        dt.date(2024, 2, 25),
    ]


def test_a_series_without_a_matching_date_or_with_bad_weekdays_is_refused(regions):
    base = {
        "kind": "cfd",
        "title": "CFD",
        "venue_name": "Alun-alun",
        "kecamatan": "33.19.02",
        "start_time": dt.time(6),
        "end_time": dt.time(9),
        "services": ["recording"],
    }
    with pytest.raises(InvalidSessionError) as caught:
        series_create(**base, start_date=dt.date(2024, 2, 14), end_date=dt.date(2024, 2, 14), weekdays=[2])
    assert "weekdays" in caught.value.fields
    with pytest.raises(InvalidSessionError) as caught:
        series_create(**base, start_date=dt.date(2024, 2, 1), end_date=dt.date(2024, 2, 5), weekdays=[7])
    assert "weekdays" in caught.value.fields
    with pytest.raises(InvalidSessionError) as caught:
        series_create(**base, start_date=dt.date(2024, 2, 5), end_date=dt.date(2024, 2, 1), weekdays=[1])
    assert "end_date" in caught.value.fields
    assert not OutreachSession.objects.exists()


def test_the_factory_makes_a_session_with_slots(regions):
    session = OutreachSessionFactory()
    assert session.slots.count() == 12
