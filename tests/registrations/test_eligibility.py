from __future__ import annotations

import datetime as dt

import pytest

from registrations.eligibility import (
    Person,
    age_on,
    is_pemula,
    is_wajib_ktp,
    may_print,
    may_record,
    pemula_birth_range,
)

D = dt.date
PREVIOUS, ELECTION = D(2019, 4, 17), D(2024, 2, 14)


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (D(2008, 2, 14), D(2024, 2, 13), 15),
        (D(2008, 2, 14), D(2024, 2, 14), 16),
        (D(2007, 2, 14), D(2024, 2, 13), 16),
        (D(2007, 2, 14), D(2024, 2, 14), 17),
        (D(2004, 2, 29), D(2021, 2, 28), 16),  # leap-day birth, common year: not yet
        (D(2004, 2, 29), D(2021, 3, 1), 17),  # … reaches it on 1 March
        (D(2004, 2, 29), D(2008, 2, 29), 4),  # leap year: on the day itself
        (D(2007, 2, 28), D(2024, 2, 29), 17),
        (D(2007, 3, 1), D(2024, 2, 29), 16),
    ],
)
def test_age_on_birthday_boundaries(birth, on, age):
    assert age_on(birth, on) == age


def test_recording_from_the_16th_birthday_not_the_day_before():
    person = Person(birth_date=D(2008, 2, 14))
    assert not may_record(person, D(2024, 2, 13))
    assert may_record(person, D(2024, 2, 14))


def test_printing_and_wajib_from_the_17th_birthday_not_the_day_before():
    person = Person(birth_date=D(2007, 2, 14))
    assert not may_print(person, D(2024, 2, 13))
    assert not is_wajib_ktp(person, D(2024, 2, 13))
    assert may_print(person, D(2024, 2, 14))
    assert is_wajib_ktp(person, D(2024, 2, 14))


def test_leap_day_birth_becomes_wajib_on_1_march_in_a_common_year():
    person = Person(birth_date=D(2004, 2, 29))
    assert not is_wajib_ktp(person, D(2021, 2, 28))
    assert is_wajib_ktp(person, D(2021, 3, 1))
    assert not may_record(person, D(2020, 2, 28))
    assert may_record(person, D(2020, 2, 29))  # 2020 is a leap year: the birthday itself


def test_ever_married_may_record_and_print_at_any_age():
    married = Person(birth_date=D(2009, 6, 1), ever_married=True)
    assert may_record(married, D(2024, 2, 1))
    assert is_wajib_ktp(married, D(2024, 2, 1))
    assert may_print(married, D(2024, 2, 1))


def test_deceased_or_moved_out_are_never_eligible():
    gone = Person(birth_date=D(1980, 1, 1), living_resident=False)
    assert not may_record(gone, D(2024, 2, 1))
    assert not is_wajib_ktp(gone, D(2024, 2, 1))


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        (D(2002, 4, 17), False),  # 17 on the previous election day: voted then
        (D(2002, 4, 18), True),
        (D(2007, 2, 14), True),  # 17 on election day
        (D(2007, 2, 15), False),
        (D(2007, 2, 28), False),
    ],
)
def test_pemula_boundaries(birth, expected):
    assert is_pemula(birth, previous_election=PREVIOUS, election=ELECTION) is expected


def test_pemula_range_agrees_with_the_predicate():
    earliest, latest = pemula_birth_range(previous_election=PREVIOUS, election=ELECTION)
    assert (earliest, latest) == (D(2002, 4, 18), D(2007, 2, 14))
    day = D(2002, 1, 1)
    while day < D(2008, 1, 1):
        assert is_pemula(day, previous_election=PREVIOUS, election=ELECTION) == (earliest <= day <= latest)
        day += dt.timedelta(days=1)
