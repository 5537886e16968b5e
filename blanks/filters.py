"""FilterSets of the blanks app, shared by the API (`filterset_class`) and the dashboard (which
subclasses them for its selects and date pickers)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from blanks.models import StockMovement
from core.filters import local_day_bounds


class StockMovementFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=StockMovement.Kind.choices)
    location = django_filters.CharFilter(field_name="location__code", help_text=_("Location code."))
    reference = django_filters.CharFilter()
    date = django_filters.DateFilter(method="filter_date", help_text=_("Recorded on this day (WIB)."))

    class Meta:
        model = StockMovement
        fields = ["kind", "location", "reference", "date"]

    def filter_date(self, queryset, name, value):
        start, end = local_day_bounds(value)
        if start is not None:
            queryset = queryset.filter(created_at__gte=start)
        return queryset if end is None else queryset.filter(created_at__lt=end)
