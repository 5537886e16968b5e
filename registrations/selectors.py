"""Reads of the registrations app, scoped by role (pages and API share these)."""

from __future__ import annotations

import datetime as dt
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from core.access import scope_queryset
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


MSG_WHOLE_NIK = _("Type the whole NIK (16 digits), or at least 3 letters of a name.")


def whole_nik_validator(value: str) -> None:
    """For roles that see masked NIKs: a NIK search takes the whole NIK only (a prefix search would
    recover the full NIK a digit at a time)."""
    term = (value or "").strip()
    if term and not is_name_search(term) and len(term) != 16:
        raise ValidationError(MSG_WHOLE_NIK, code="whole_nik_required")


def search_q(term: str, *, exact_nik: bool = False) -> Q:
    """A NIK (or its start, unless `exact_nik`) when the term is digits, otherwise a part of the
    name."""
    term = term.strip()
    if not is_name_search(term):
        if len(term) == 16 or exact_nik:
            return Q(nik=term)
        return Q(nik__startswith=term)
    return Q(full_name__icontains=term)


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


RESIDENTS_FOUND_MAX = 10


def resident_living(pk: int) -> Citizen | None:
    """A living resident of the register (None if unknown, deceased or moved out)."""
    return Citizen.objects.filter(pk=pk, deceased=False, moved_out=False).first()


def residents_find(
    *, nik: str = "", name: str = "", birth_date: dt.date | None = None, desa: str = ""
) -> list[Citizen]:
    """Living residents of Kudus for the service desk, which serves whoever comes (any kecamatan):
    by exact NIK, or by part of the name AND the exact birth date (narrowed by a desa code when
    given). At most RESIDENTS_FOUND_MAX; callers show masked NIKs to roles without full data."""
    living = Citizen.objects.filter(deceased=False, moved_out=False).select_related("desa")
    if nik:
        found = living.filter(nik=nik)
    elif name.strip() and birth_date is not None:
        found = living.filter(full_name__icontains=name.strip(), birth_date=birth_date)
        if desa:
            found = found.filter(desa_id=desa)
    else:
        return []
    return list(found.order_by("full_name", "pk")[:RESIDENTS_FOUND_MAX])


# --- Public identity ---------------------------------------------------------------------------


def citizen_identify(*, nik: str, kk: str) -> Citizen | None:
    """The living resident with this NIK whose family card (KK) number is `kk`, else None.

    The one identity check of every public flow (booking, lookup, "find my booking"). A NIK and the
    birth date it encodes prove nothing (anyone who read the NIK knows both); the KK number is on the
    family card only. The same query runs whatever the outcome and the KK is compared in constant
    time, so neither the answer nor its timing tells an unknown NIK from a wrong KK."""
    citizen = Citizen.objects.filter(nik=nik).only("pk", "nik", "kk", "deceased", "moved_out").first()
    stored = citizen.kk if citizen is not None else "0" * 16
    matches = hmac.compare_digest(stored.encode(), (kk or "").encode())
    if citizen is None or not matches or not citizen.is_living_resident:
        return None
    return Citizen.objects.select_related("desa__kecamatan").get(pk=citizen.pk)
