"""The citizen registry for staff: search, a resident's page, the export."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.access import DESK_STAFF, MANAGERS, has_role, kecamatan_scope, may_write
from core.audit import audit_list_reveal, audit_record
from core.exceptions import ApplicationError, NotFoundError, NotPermittedError
from core.exports import export_response
from core.forms import form_add_application_error
from core.models import AuditEvent
from dashboard.access import roles_required, staff_required
from dashboard.citizen_export import CITIZEN_EXPORT_LABELS, citizen_export_rows
from dashboard.exports import export_allowed, export_audit, export_check, export_format
from dashboard.forms import CorrectionRequestForm
from dashboard.pagination import paginate_keyset
from regions.models import Desa, Kecamatan
from registrations.eligibility import age_on, is_pemula, may_print, may_record, person_of
from registrations.filters import CitizenFilter
from registrations.selectors import (
    can_see_full_personal_data,
    citizen_get,
    citizens_visible_to,
    is_name_search,
)
from registrations.services.corrections import correction_request_create
from schedules.models import Appointment
from schedules.services.subject_access import citizen_data_export as citizen_data_export_service


@staff_required
def citizens_export(request):
    """The citizens list with its current filters as CSV or XLSX, streamed from the database."""
    export_check(request)
    file_format = export_format(request)
    filterset = CitizenFilter(
        request.GET or None, queryset=citizens_visible_to(request.user), request=request
    )
    if filterset.is_bound and not filterset.is_valid():
        raise BadRequest("invalid filters")
    full_nik = can_see_full_personal_data(request.user)
    rows = citizen_export_rows(filterset.qs, full_nik=full_nik, today=timezone.localdate())
    export_audit(request, what="citizens", format=file_format, filters=request.GET.dict(), full_nik=full_nik)
    columns = [str(label) for label in CITIZEN_EXPORT_LABELS]
    return export_response(rows, columns, f"warga-{timezone.localdate():%Y%m%d}", file_format)


@roles_required(DESK_STAFF)
def citizen_list(request):
    filterset = CitizenFilter(
        request.GET or None, queryset=citizens_visible_to(request.user), request=request
    )
    if filterset.is_bound and not filterset.is_valid():
        queryset = citizens_visible_to(request.user).none()
    else:
        queryset = filterset.qs
    scope = kecamatan_scope(request.user)
    if scope is not None:
        filterset.form.fields["kecamatan"].queryset = Kecamatan.objects.filter(code__in=scope)
        filterset.form.fields["desa"].queryset = Desa.objects.filter(kecamatan_id__in=scope)
    chosen = request.GET.get("kecamatan", "")
    if chosen and (scope is None or chosen in scope):
        # The desa filter follows the chosen kecamatan (static/js/citizen-filters.js does the same
        # in the browser before the form is sent).
        filterset.form.fields["desa"].queryset = Desa.objects.filter(kecamatan_id=chosen)
    few = filterset.is_bound and filterset.is_valid() and _few_matches(filterset.form.cleaned_data)
    page = paginate_keyset(
        queryset,
        key="full_name",
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        number=request.GET.get("page"),
        sort_matches=few,
    )
    query = request.GET.copy()
    for param in ("page", "after", "before"):
        query.pop(param, None)
    full_data = can_see_full_personal_data(request.user)
    if full_data:
        audit_list_reveal(
            request=request, what="citizen list", citizen_ids=[citizen.pk for citizen in page.rows]
        )
    today = timezone.localdate()
    rows = [_citizen_row(citizen, today) for citizen in page.rows]
    return render(
        request,
        "dashboard/citizens.html",
        {
            "filter": filterset,
            "page": page,
            "rows": rows,
            "desa_kecamatan": dict(Desa.objects.values_list("code", "kecamatan_id")),
            "query": query.urlencode(),
            "full_data": full_data,
            "may_export": export_allowed(request.user),
        },
    )


def _citizen_row(citizen, today) -> dict:
    """A list row: the citizen, their age today and whether they may record yet (under-16s who
    never married may not: their missing recording is not a gap)."""
    return {
        "citizen": citizen,
        "age": age_on(citizen.birth_date, today),
        "may_record": may_record(person_of(citizen), today),
    }


def _few_matches(filters: dict) -> bool:
    """Filters that select a small part of the table, found through their own index: a name search
    (trigram index) and the residents of a cohort not yet recorded (the campaign's remaining gap,
    a few thousand of 650k). Their matches are sorted rather than found by walking the name index
    (see paginate_keyset; measured in bench/dashboard.py)."""
    cohort = filters.get("eligible") is True or filters.get("pemula") is True
    return is_name_search(filters.get("q") or "") or (filters.get("recorded") is False and cohort)


@roles_required(DESK_STAFF)
def citizen_detail(request, pk: int):
    citizen = citizen_get(user=request.user, pk=pk)
    full_data = can_see_full_personal_data(request.user)
    if full_data:
        # Seeing a whole record is a reveal of personal data: who, what, when (and why, if given).
        audit_record(
            actor=request.user,
            kind=AuditEvent.Kind.REVEAL,
            action="citizen detail",
            target=f"citizen {citizen.pk}",
            reason=request.GET.get("why", "")[:300],
            request=request,
        )
    today = timezone.localdate()
    person = person_of(citizen)
    context = {
        "citizen": citizen,
        "full_data": full_data,
        "today": today,
        "may_export_data": full_data and has_role(request.user, MANAGERS),
        "may_request_correction": may_write(request.user),
        "eligibility": {
            "may_record": may_record(person, today),
            "may_print": may_print(person, today),
            "pemula": is_pemula(
                citizen.birth_date,
                previous_election=settings.PREVIOUS_ELECTION_DATE,
                election=settings.ELECTION_DATE,
            ),
        },
        **_citizen_requests_and_bookings(citizen),
    }
    return render(request, "dashboard/citizen_detail.html", context)


CITIZEN_ROWS = 20


def _citizen_requests_and_bookings(citizen) -> dict:
    """The citizen's latest service requests and bookings (newest first), for their tables."""
    requests = citizen.service_requests.select_related("location").order_by("-submitted_at", "-id")
    bookings = (
        Appointment.objects.filter(citizen=citizen)
        .select_related("slot__session__kecamatan", "service_request")
        .order_by("-slot__starts_at", "-id")
    )
    return {
        "requests": list(requests[:CITIZEN_ROWS]),
        "bookings": list(bookings[:CITIZEN_ROWS]),
    }


@roles_required(MANAGERS)
def citizen_data_export(request, pk: int):
    """Everything held about one resident as one JSON file (UU 27/2022 Art. 7, the right of
    access), for admins and supervisors; the service checks role and scope and writes the access
    log (kind `export`, `?why=` as the reason)."""
    try:
        data = citizen_data_export_service(
            actor=request.user, citizen_id=pk, reason=request.GET.get("why", "")[:300], request=request
        )
    except NotPermittedError as exc:
        raise PermissionDenied from exc
    except NotFoundError as exc:
        raise Http404 from exc
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"data-warga-{pk}-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@roles_required(DESK_STAFF)
@require_http_methods(["GET", "POST"])
def citizen_correction(request, pk: int):
    """Record a resident's request to correct their data (UU 27/2022 Art. 6): a service request of
    the service `correction`, handled in the requests list like any other."""
    citizen = citizen_get(user=request.user, pk=pk)
    status = 200
    if request.method == "POST":
        form = CorrectionRequestForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                service_request = correction_request_create(
                    citizen=citizen,
                    field=data["field"],
                    requested=data["requested"],
                    channel=data["channel"],
                    actor=request.user,
                )
            except ApplicationError as error:
                form_add_application_error(form, error)
                status = error.status_code
            else:
                messages.success(
                    request, _("Correction request #%(id)s recorded.") % {"id": service_request.pk}
                )
                return redirect("dashboard:request", service_request.pk)
        else:
            status = 400
    else:
        form = CorrectionRequestForm()
    return render(
        request, "dashboard/citizen_correction.html", {"citizen": citizen, "form": form}, status=status
    )
