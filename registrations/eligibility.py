"""Who may do what, on a given date. Pure functions, no database.

A person reaches age N on the N-th anniversary of the birth date (Asia/Jakarta); someone born on
29 February reaches it on 1 March in common years (our decision, see domain docs). The same rule in
set form, `birth_date <= age_cutoff(on, N)`, is what the coverage SQL uses, so both always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

RECORDING_AGE = 16
WAJIB_KTP_AGE = 17


def anniversary(birth_date: dt.date, years: int) -> dt.date:
    """The date a person born on `birth_date` turns `years` old."""
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:  # born 29 Feb, common year: 1 March
        return dt.date(birth_date.year + years, 3, 1)


def age_cutoff(on: dt.date, years: int) -> dt.date:
    """The latest birth date of someone aged at least `years` on `on`."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # `on` is 29 Feb and the cutoff year is common: born 28 Feb or earlier
        return dt.date(on.year - years, 2, 28)


def age_on(birth_date: dt.date, on: dt.date) -> int:
    years = on.year - birth_date.year
    if anniversary(birth_date, years) > on:
        years -= 1
    return years


def has_reached_age(birth_date: dt.date, years: int, on: dt.date) -> bool:
    return birth_date <= age_cutoff(on, years)


@dataclass(frozen=True)
class Person:
    """What eligibility needs to know about a resident."""

    birth_date: dt.date
    ever_married: bool = False
    living_resident: bool = True


def may_record(person: Person, on: dt.date) -> bool:
    """Recording (perekaman) from 16, or earlier if ever married."""
    return person.living_resident and (
        person.ever_married or has_reached_age(person.birth_date, RECORDING_AGE, on)
    )


def is_wajib_ktp(person: Person, on: dt.date) -> bool:
    """Must hold an e-KTP: living resident aged 17 or more, or ever married (UU 24/2013 Art. 63)."""
    return person.living_resident and (
        person.ever_married or has_reached_age(person.birth_date, WAJIB_KTP_AGE, on)
    )


def may_print(person: Person, on: dt.date) -> bool:
    """Printing and IKD activation: from 17 or ever married (a completed recording is checked elsewhere)."""
    return is_wajib_ktp(person, on)


may_activate_ikd = may_print


def pemula_birth_range(*, previous_election: dt.date, election: dt.date) -> tuple[dt.date, dt.date]:
    """Inclusive birth-date range of first-time voters: 17th birthday in (previous, election]."""
    earliest = age_cutoff(previous_election, WAJIB_KTP_AGE) + dt.timedelta(days=1)
    latest = age_cutoff(election, WAJIB_KTP_AGE)
    return earliest, latest


def is_pemula(birth_date: dt.date, *, previous_election: dt.date, election: dt.date) -> bool:
    """First-time voter: the 17th birthday falls after the previous election, on or before this one."""
    birthday = anniversary(birth_date, WAJIB_KTP_AGE)
    return previous_election < birthday <= election


def person_of(citizen) -> Person:
    """The eligibility view of a Citizen model instance."""
    return Person(
        birth_date=citizen.birth_date,
        ever_married=citizen.marital_status != "belum_kawin",
        living_resident=not citizen.deceased and not citizen.moved_out,
    )
