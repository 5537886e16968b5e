"""FilterSets of the registrations app: one definition each, shared by the API (`filterset_class`)
and the dashboard (which subclasses them for its selects and date pickers)."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audit_record, targets_of
from core.filters import local_day_bounds
from core.models import AuditEvent
from regions.models import Desa, Kecamatan
from registrations.models import Citizen, ServiceRequest
from registrations.selectors import (
    can_see_full_personal_data,
    is_name_search,
    pemula_q,
    search_q,
    search_term_validator,
    wajib_q,
    whole_nik_validator,
)


def nik_search_restrict(filterset) -> None:
    """Roles that see masked NIKs search by the whole NIK only (the `q` filter's validator)."""
    user = getattr(filterset.request, "user", None)
    if not can_see_full_personal_data(user):
        extra = filterset.filters["q"].extra
        extra["validators"] = [*extra.get("validators", ()), whole_nik_validator]


def nik_search_audit(request, term: str, citizen_ids: list) -> None:
    """Every NIK search goes to the access log: who, when, how many digits, whom it found (ids)."""
    audit_record(
        actor=getattr(request, "user", None),
        kind=AuditEvent.Kind.REVEAL,
        action=f"NIK search ({len(term.strip())} digits)",
        target=targets_of("citizen", citizen_ids) if citizen_ids else "no match",
        request=request,
    )


def citizens_matching(queryset, term: str, request):
    """`queryset` narrowed to the search term; a NIK search is exact for masked roles and logged."""
    user = getattr(request, "user", None)
    condition = search_q(term, exact_nik=not can_see_full_personal_data(user))
    queryset = queryset.filter(condition)
    if not is_name_search(term) and request is not None:
        nik_search_audit(request, term, list(queryset.values_list("pk", flat=True)[:50]))
    return queryset


class CitizenFilter(django_filters.FilterSet):
    """The citizen filters of the dashboard and the API (one definition for both)."""

    q = django_filters.CharFilter(
        method="filter_q", label=_("NIK or name"), max_length=100, validators=[search_term_validator]
    )
    kecamatan = django_filters.ModelChoiceFilter(
        field_name="desa__kecamatan",
        queryset=Kecamatan.objects.all(),
        to_field_name="code",
        label=_("kecamatan"),
    )
    desa = django_filters.ModelChoiceFilter(
        queryset=Desa.objects.all(), to_field_name="code", label=_("desa")
    )
    recorded = django_filters.BooleanFilter(field_name="recorded_at", lookup_expr="isnull", exclude=True,
                                            label=_("recorded"))  # fmt: skip
    printed = django_filters.BooleanFilter(field_name="printed_at", lookup_expr="isnull", exclude=True,
                                           label=_("printed"))  # fmt: skip
    ikd = django_filters.BooleanFilter(field_name="ikd_activated_at", lookup_expr="isnull", exclude=True,
                                       label=_("IKD activated"))  # fmt: skip
    eligible = django_filters.BooleanFilter(method="filter_eligible", label=_("wajib KTP"))
    pemula = django_filters.BooleanFilter(method="filter_pemula", label=_("first-time voter"))
    school = django_filters.CharFilter(
        field_name="school", lookup_expr="iexact", label=_("school"), max_length=150
    )

    class Meta:
        model = Citizen
        fields = ["q", "kecamatan", "desa", "recorded", "printed", "ikd", "eligible", "pemula", "school"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        nik_search_restrict(self)

    def filter_q(self, queryset, name, value):
        return citizens_matching(queryset, value, self.request) if value else queryset

    def filter_eligible(self, queryset, name, value):
        if value is None:
            return queryset
        condition = wajib_q(timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_pemula(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(pemula_q()) if value else queryset.exclude(pemula_q())


class ServiceRequestFilter(django_filters.FilterSet):
    service = django_filters.ChoiceFilter(choices=ServiceRequest.Service.choices)
    status = django_filters.ChoiceFilter(choices=ServiceRequest.Status.choices)
    channel = django_filters.ChoiceFilter(choices=ServiceRequest.Channel.choices)
    kecamatan = django_filters.CharFilter(
        field_name="citizen__desa__kecamatan", help_text=_("Kecamatan code, e.g. 33.19.01.")
    )
    location = django_filters.CharFilter(field_name="location__code", help_text=_("Stock location code."))
    date = django_filters.DateFilter(method="filter_date", help_text=_("Submitted on this day (WIB)."))
    date_from = django_filters.DateFilter(
        method="filter_date_from", help_text=_("Submitted on or after (WIB).")
    )
    date_to = django_filters.DateFilter(method="filter_date_to", help_text=_("Submitted on or before (WIB)."))

    class Meta:
        model = ServiceRequest
        fields = ["service", "status", "channel", "kecamatan", "location", "date", "date_from", "date_to"]

    def filter_date(self, queryset, name, value):
        return self.filter_date_to(self.filter_date_from(queryset, name, value), name, value)

    def filter_date_from(self, queryset, name, value):
        start = local_day_bounds(value)[0]
        return queryset if start is None else queryset.filter(submitted_at__gte=start)

    def filter_date_to(self, queryset, name, value):
        end = local_day_bounds(value)[1]
        return queryset if end is None else queryset.filter(submitted_at__lt=end)
