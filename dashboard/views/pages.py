"""Dashboard pages. Thin: parse, call a selector or service, render."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import BadRequest, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.access import ROLES, VIEWER, kecamatan_scope, user_roles
from core.audit import audit_list_reveal, audit_record
from core.models import AuditEvent
from core.roles import StaffProvisioningError, staff_create
from dashboard.access import admin_required, roles_required, staff_required
from dashboard.citizen_export import CITIZEN_EXPORT_LABELS, citizen_export_rows
from dashboard.daily_report import daily_report
from dashboard.exports import export_allowed, export_audit, export_check, export_format, export_response
from dashboard.overview import dashboard_overview
from dashboard.pagination import paginate_keyset, paginate_without_count
from dashboard.targets import TARGET_EXPORT_LABELS, targets_for_planning
from regions.models import Kecamatan
from registrations.api.permissions import SERVICE_ROLES
from registrations.coverage import CoverageNotComputedError, coverage_refresh_request
from registrations.coverage_selectors import coverage_export_rows
from registrations.eligibility import is_pemula, may_print, may_record, person_of
from registrations.selectors import (
    CitizenFilter,
    can_see_full_personal_data,
    citizen_get,
    citizens_visible_to,
    is_name_search,
)
from schedules.models import Appointment


def _date_param(request, name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.GET.get(name, ""))
    except ValueError:
        return None


@staff_required
def overview(request):
    """Coverage vs the 100% target (latest snapshot), trend, gap per kecamatan, cohorts, projection,
    today's sessions and the blank stock. `?target=YYYY-MM-DD` projects to another date."""
    data = dashboard_overview(user=request.user, target_date=_date_param(request, "target"))
    data["may_recompute"] = user_roles(request.user) - {VIEWER} != set()
    return render(request, "dashboard/overview.html", data)


@staff_required
@require_POST
def coverage_recompute_request(request):
    """Ask for a coverage recompute now (debounced through the outbox); viewers only read."""
    if not user_roles(request.user) - {VIEWER}:
        raise PermissionDenied
    coverage_refresh_request(now=timezone.now())
    messages.success(request, _("A coverage recompute was requested; reload in a moment."))
    return redirect("dashboard:overview")


class TargetsFilterForm(forms.Form):
    kecamatan = forms.ModelChoiceField(
        queryset=Kecamatan.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("all"),
        label=gettext_lazy("kecamatan"),
    )
    limit = forms.TypedChoiceField(
        choices=[(n, n) for n in (10, 20, 50, 100)],
        coerce=int,
        required=False,
        empty_value=20,
        initial=20,
        label=gettext_lazy("rows"),
    )

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)
        if scope is not None:
            self.fields["kecamatan"].queryset = Kecamatan.objects.filter(code__in=scope)


@staff_required
def targets(request):
    """Where to send the next jemput-bola team: desa and schools by unrecorded residents."""
    scope = kecamatan_scope(request.user)
    form = TargetsFilterForm(request.GET or None, scope=scope)
    kecamatan, limit = None, 20
    if form.is_valid():
        kecamatan = form.cleaned_data["kecamatan"].code if form.cleaned_data["kecamatan"] else None
        limit = form.cleaned_data["limit"] or 20
    try:
        data = targets_for_planning(user=request.user, limit=limit, kecamatan=kecamatan)
    except CoverageNotComputedError:
        data = None
    areas = Kecamatan.objects.order_by("code")
    if scope is not None:
        areas = areas.filter(code__in=scope)
    return render(
        request,
        "dashboard/targets.html",
        {
            "form": form,
            "targets": data,
            "kecamatan_choices": areas,
            "may_export": export_allowed(request.user),
            "kabupaten_code": None if scope is not None else settings.KUDUS_KABUPATEN_CODE,
            "nav": "targets",
        },
    )


@staff_required
def targets_export(request):
    """The unrecorded eligible residents of an area (`?area=` kabupaten, kecamatan or desa code) as
    CSV or XLSX for field teams; NIKs masked unless the role may see them."""
    export_check(request)
    file_format = export_format(request)
    area = request.GET.get("area", "")
    full_nik = can_see_full_personal_data(request.user)
    rows = coverage_export_rows(area_code=area, user=request.user, full_nik=full_nik)  # 404 out of scope
    export_audit(
        request, what="unrecorded residents", format=file_format, filters={"area": area}, full_nik=full_nik
    )
    columns = [str(label) for label in TARGET_EXPORT_LABELS]
    filename = f"belum-rekam-{area}-{timezone.localdate():%Y%m%d}"
    return export_response(rows, columns, filename, file_format)


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


@staff_required
def report_daily(request):
    """A one-page printable report of a day (`?date=YYYY-MM-DD`, default today)."""
    day = _date_param(request, "date") or timezone.localdate()
    context = daily_report(user=request.user, day=day)
    context.update(previous_day=day - dt.timedelta(days=1), next_day=day + dt.timedelta(days=1), nav="report")
    return render(request, "dashboard/report_daily.html", context)


@roles_required(SERVICE_ROLES)
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
    return render(
        request,
        "dashboard/citizens.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "full_data": full_data,
            "may_export": export_allowed(request.user),
        },
    )


def _few_matches(filters: dict) -> bool:
    """Filters that select a small part of the table, found through their own index: a name search
    (trigram index) and the residents of a cohort not yet recorded (the campaign's remaining gap,
    a few thousand of 650k). Their matches are sorted rather than found by walking the name index
    (see paginate_keyset; measured in bench/dashboard.py)."""
    cohort = filters.get("eligible") is True or filters.get("pemula") is True
    return is_name_search(filters.get("q") or "") or (filters.get("recorded") is False and cohort)


@roles_required(SERVICE_ROLES)
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


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", gettext_lazy("all")), *AuditEvent.Kind.choices],
        required=False,
        label=gettext_lazy("kind"),
    )
    actor = forms.CharField(required=False, max_length=150, label=gettext_lazy("who"))
    what = forms.CharField(
        required=False, max_length=100, label=gettext_lazy("what"), help_text=gettext_lazy("e.g. citizen 42")
    )
    date = forms.DateField(
        required=False, label=gettext_lazy("date"), widget=forms.DateInput(attrs={"type": "date"})
    )


@staff_required
def audit_log(request):
    # Admins, and supervisors (roles.py grants them core.view_auditevent, the nav shows it).
    if not request.user.has_perm("core.view_auditevent"):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    if form.is_valid():
        if form.cleaned_data["kind"]:
            events = events.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["actor"]:
            events = events.filter(actor__username__icontains=form.cleaned_data["actor"])
        if form.cleaned_data["what"]:
            what = form.cleaned_data["what"]
            events = events.filter(Q(action__icontains=what) | Q(target__icontains=what))
        if form.cleaned_data["date"]:
            events = events.filter(created_at__date=form.cleaned_data["date"])
    page = paginate_without_count(events, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "dashboard/audit.html", {"form": form, "page": page, "query": query.urlencode()})


class StaffForm(forms.Form):
    username = forms.RegexField(regex=r"^[\w.@+-]{3,150}$", label=gettext_lazy("username"))
    email = forms.EmailField(required=False, label=gettext_lazy("e-mail"))
    role = forms.ChoiceField(choices=[(role, role) for role in ROLES], label=gettext_lazy("role"))
    kecamatan = forms.ModelMultipleChoiceField(
        queryset=Kecamatan.objects.all(),
        to_field_name="code",
        required=False,
        label=gettext_lazy("kecamatan"),
        widget=forms.CheckboxSelectMultiple,
    )
    password = forms.CharField(widget=forms.PasswordInput, label=gettext_lazy("password"), strip=False)


@admin_required
def staff_list(request):
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = staff_create(
                username=data["username"],
                role=data["role"],
                kecamatan_codes=[k.code for k in data["kecamatan"]],
                password=data["password"],
                email=data["email"],
            )
        except StaffProvisioningError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error("password", exc)
        else:
            messages.success(request, _("Staff account %(username)s saved.") % {"username": user.username})
            return redirect("dashboard:staff")
    users = (
        get_user_model()
        .objects.filter(is_staff=True)
        .prefetch_related("groups", "staff_assignment__kecamatan")
        .order_by("username")
    )
    rows = [
        {"user": user, "roles": sorted(user_roles(user)), "kecamatan": _assigned_kecamatan_names(user)}
        for user in users
    ]
    return render(request, "dashboard/staff.html", {"form": form, "rows": rows})


def _assigned_kecamatan_names(user) -> list[str]:
    try:
        assignment = user.staff_assignment
    except ObjectDoesNotExist:
        return []
    return [kecamatan.name for kecamatan in assignment.kecamatan.all()]
