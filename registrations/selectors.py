"""Reads of the registrations app, scoped by role (pages and API share these)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.access import scope_queryset
from regions.models import Desa, Kecamatan
from registrations.eligibility import RECORDING_AGE, WAJIB_KTP_AGE, age_cutoff, pemula_birth_range
from registrations.models import Citizen, ServiceRequest, ServiceRequestEvent


def can_see_full_personal_data(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("registrations.view_full_nik"))


def citizens_visible_to(user) -> QuerySet[Citizen]:
    return scope_queryset(Citizen.objects.select_related("desa__kecamatan"), user, "desa__kecamatan")


def citizen_get(*, user, pk: int) -> Citizen:
    """The citizen, or Http404 when it does not exist or is outside the user's kecamatan."""
    try:
        return citizens_visible_to(user).get(pk=pk)
    except Citizen.DoesNotExist as exc:
        raise Http404 from exc


def wajib_q(on: dt.date) -> Q:
    return Q(deceased=False, moved_out=False) & (
        Q(birth_date__lte=age_cutoff(on, WAJIB_KTP_AGE))
        | ~Q(marital_status=Citizen.MaritalStatus.BELUM_KAWIN)
    )


def may_record_q(on: dt.date) -> Q:
    return Q(deceased=False, moved_out=False) & (
        Q(birth_date__lte=age_cutoff(on, RECORDING_AGE))
        | ~Q(marital_status=Citizen.MaritalStatus.BELUM_KAWIN)
    )


def pemula_q() -> Q:
    earliest, latest = pemula_birth_range(
        previous_election=settings.PREVIOUS_ELECTION_DATE, election=settings.ELECTION_DATE
    )
    return Q(birth_date__gte=earliest, birth_date__lte=latest, deceased=False, moved_out=False)


# A name search needs three characters: PostgreSQL's trigram index (registrations migration 0006)
# answers `full_name ILIKE '%abc%'` from it; shorter parts would read the whole table.
NAME_SEARCH_MIN_LENGTH = 3


def is_name_search(term: str) -> bool:
    term = term.strip()
    return bool(term) and not (term.isascii() and term.isdigit())


def search_term_validator(value: str) -> None:
    if is_name_search(value) and len(value.strip()) < NAME_SEARCH_MIN_LENGTH:
        raise ValidationError(
            _("Type at least %(n)d letters of a name, or the digits of a NIK."),
            code="search_too_short",
            params={"n": NAME_SEARCH_MIN_LENGTH},
        )


def search_q(term: str) -> Q:
    """A NIK (or its start) when the term is digits, otherwise a part of the name."""
    term = term.strip()
    if not is_name_search(term):
        return Q(nik=term) if len(term) == 16 else Q(nik__startswith=term)
    return Q(full_name__icontains=term)


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
    eligible = django_filters.BooleanFilter(method="filter_eligible", label=_("wajib KTP"))
    pemula = django_filters.BooleanFilter(method="filter_pemula", label=_("first-time voter"))
    school = django_filters.CharFilter(
        field_name="school", lookup_expr="iexact", label=_("school"), max_length=150
    )

    class Meta:
        model = Citizen
        fields = ["q", "kecamatan", "desa", "recorded", "eligible", "pemula", "school"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(search_q(value)) if value else queryset

    def filter_eligible(self, queryset, name, value):
        if value is None:
            return queryset
        condition = wajib_q(timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def filter_pemula(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(pemula_q()) if value else queryset.exclude(pemula_q())


# --- Service requests ------------------------------------------------------------------------


def service_requests_visible_to(user) -> QuerySet[ServiceRequest]:
    """Requests of citizens in the user's kecamatan (all for admin/supervisor/viewer), with what a
    list or detail shows: citizen, desa, location, staff and the event log (no N+1)."""
    queryset = ServiceRequest.objects.select_related(
        "citizen__desa__kecamatan", "location", "served_by", "submitted_by"
    ).prefetch_related(
        Prefetch("events", queryset=ServiceRequestEvent.objects.select_related("actor").order_by("at", "id"))
    )
    return scope_queryset(queryset, user, "citizen__desa__kecamatan")


def citizen_by_nik_visible_to(user, nik: str) -> Citizen | None:
    """The citizen with this NIK if the user may see them, else None (out of scope looks the same)."""
    return citizens_visible_to(user).filter(nik=nik).first()
