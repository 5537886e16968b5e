"""FilterSets of the schedules app (django-filter), shared by the API and the dashboard. Sessions
reuse the selector's filters, so the public list, the staff list and the pages filter alike."""

from __future__ import annotations

import django_filters

from core.filters import IdFilter
from regions.models import Kecamatan
from schedules.models import Appointment, OutreachSeries, OutreachSession, Service, SessionKind
from schedules.selectors import sessions_filter


class _KecamatanFilter(django_filters.ModelChoiceFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Kecamatan.objects.all())
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("help_text", "Kecamatan code, e.g. 33.19.02.")
        super().__init__(*args, **kwargs)


class SessionFilter(django_filters.FilterSet):
    service = django_filters.ChoiceFilter(choices=Service.choices, method="by_selector")
    kecamatan = _KecamatanFilter(method="by_selector")
    kind = django_filters.ChoiceFilter(choices=SessionKind.choices, method="by_selector")
    date_from = django_filters.DateFilter(method="by_selector", help_text="Sessions on or after this date.")
    date_to = django_filters.DateFilter(method="by_selector", help_text="Sessions on or before this date.")

    class Meta:
        model = OutreachSession
        fields = ["service", "kecamatan", "kind", "date_from", "date_to"]

    def by_selector(self, queryset, name, value):
        if isinstance(value, Kecamatan):
            value = value.code
        return sessions_filter(queryset, **{name: value})


class SeriesFilter(django_filters.FilterSet):
    kecamatan = _KecamatanFilter()
    kind = django_filters.ChoiceFilter(choices=SessionKind.choices)

    class Meta:
        model = OutreachSeries
        fields = ["kecamatan", "kind"]


class AppointmentFilter(django_filters.FilterSet):
    session = IdFilter(field_name="slot__session_id", help_text="Session id.")
    slot = IdFilter(field_name="slot_id", help_text="Slot id.")
    status = django_filters.ChoiceFilter(choices=Appointment.Status.choices)
    service = django_filters.ChoiceFilter(choices=Service.choices)
    kecamatan = _KecamatanFilter(field_name="slot__session__kecamatan")
    date = django_filters.DateFilter(field_name="slot__session__date", help_text="Session date.")
    date_from = django_filters.DateFilter(field_name="slot__session__date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="slot__session__date", lookup_expr="lte")

    class Meta:
        model = Appointment
        fields = ["session", "slot", "status", "service", "kecamatan", "date", "date_from", "date_to"]
