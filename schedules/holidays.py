"""Days off that recurring series skip: the national calendar, with local overrides.

The national calendar comes from the `holidays` package (pinned in pyproject), every year:
Indonesia's public holidays (category PUBLIC: national holidays and election days) and the
collective leave days, *cuti bersama* (category GOVERNMENT: days off of the civil service, when
Disdukcapil's offices are closed). Islamic dates the government has not fixed yet are the
package's estimates (named "(perkiraan)"). The admin table `PublicHoliday` overrides it: a row of
kind "day off" adds a day (a regional holiday, a decree newer than the package), a row of kind
"working day" removes one (the offices open on a national day off).

The table starts empty: the 2024 campaign days (1 Jan, 8–10 Feb, election day 14 Feb) are all in
the package's calendar.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from types import MappingProxyType

import holidays
from holidays.constants import GOVERNMENT, PUBLIC

NATIONAL_CATEGORIES = (PUBLIC, GOVERNMENT)


@lru_cache(maxsize=64)
def national_holidays(year: int) -> MappingProxyType[dt.date, str]:
    """Indonesia's public holidays and cuti bersama days of `year`, named in Indonesian (read-only:
    the mapping is cached)."""
    calendar = holidays.country_holidays("ID", years=year, categories=NATIONAL_CATEGORIES, language="id")
    return MappingProxyType(dict(sorted(calendar.items())))


def holidays_between(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """Days off from `start` to `end` (inclusive), date → name: the national calendar plus the days
    the admin table adds, minus the days it marks as working days."""
    from schedules.models import PublicHoliday

    days = {
        day: name
        for year in range(start.year, end.year + 1)
        for day, name in national_holidays(year).items()
        if start <= day <= end
    }
    for override in PublicHoliday.objects.filter(date__range=(start, end)):
        if override.kind == PublicHoliday.Kind.WORKING_DAY:
            days.pop(override.date, None)
        else:
            days[override.date] = override.name
    return dict(sorted(days.items()))


def is_day_off(day: dt.date) -> bool:
    return day in holidays_between(day, day)
