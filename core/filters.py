"""Filters shared by the API's FilterSets (django-filter)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

# The largest id a bigint primary key can hold: a larger number is bad input (400), not a
# database error.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})  # the bounds, in the schema too
class IdFilter(django_filters.Filter):
    """An object id: a whole number from 1 (a related object's id when `field_name` says so)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def local_day_bounds(day: dt.date) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start, end) of a WIB day as aware datetimes; None where the bound would fall outside what
    a datetime can hold (the first and last days a date can name), meaning "unbounded"."""

    def midnight(date: dt.date) -> dt.datetime | None:
        if date == dt.date.min:
            return None  # 0001-01-01 00:00 WIB is before 0001-01-01 00:00 UTC
        return timezone.make_aware(dt.datetime.combine(date, dt.time.min))

    return midnight(day), (None if day == dt.date.max else midnight(day + dt.timedelta(days=1)))
